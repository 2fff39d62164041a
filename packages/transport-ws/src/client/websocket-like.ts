/**
 * What the client needs of a WebSocket: the subset shared by the browser's native `WebSocket`
 * and the `ws` package's client, so one code path runs in both. Event handler parameters are
 * typed `never` so either implementation's handler types are assignable.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

/** A WebSocket constructor: `globalThis.WebSocket` in a browser, `ws`'s `WebSocket` in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The subprotocol both sides speak (docs/protocol.md §11). */
export const SUBPROTOCOL = 'shoal.v1';

/** `readyState` of an open socket (the same constant in every implementation). */
export const OPEN = 1;
