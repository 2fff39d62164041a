import type { WebSocketLike } from '../../src/index.js';

/**
 * A scripted WebSocket for driving {@link WsClient} under manual timers: every instance is
 * recorded, and the test plays the hub (open, message, close) by hand.
 */
export class FakeWebSocket implements WebSocketLike {
  static readonly made: FakeWebSocket[] = [];
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  closedWith: number | undefined;
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.made.push(this);
  }

  send(data: Uint8Array): void {
    this.sent.push(data.slice());
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  /** The hub accepted the connection and sends `frame`. */
  receive(frame: Uint8Array | string): void {
    this.readyState = 1;
    const data = typeof frame === 'string' ? frame : frame.slice().buffer;
    (this.onmessage as ((event: { data: unknown }) => void) | null)?.({ data });
  }

  /** The connection ends from the far side. */
  drop(code = 1006): void {
    this.readyState = 3;
    (this.onclose as ((event: { code: number }) => void) | null)?.({ code });
  }
}
