import { WebSocket } from 'ws';
import { DEFAULT_MAX_PAYLOAD } from './options.js';

/**
 * `ws`'s WebSocket as the client's constructor in Node, with the hub's limits: messages up to
 * 1 MiB and no per-message deflate (core compresses bodies itself).
 */
export class NodeWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { maxPayload: DEFAULT_MAX_PAYLOAD, perMessageDeflate: false });
  }
}
