/**
 * @shoal/transport-ws: Shoal's {@link MessagePort} over WebSockets. {@link WsHub} (Node, `ws`)
 * accepts clients, relays between them and binds each connection to a node id only once core
 * has authenticated it; {@link WsClient} (Node or browser) holds one hub connection at a time
 * and fails over between hubs. The browser entry is `@shoal/transport-ws/client`.
 */
export * from './client-entry.js';
export type { OutboundCounters, OutboundLimits } from './hub/hub-connection.js';
export { WsHub } from './hub/ws-hub.js';
export type { WsHubOptions } from './hub/ws-hub-options.js';
export type { WsHubStats } from './hub/ws-hub-stats.js';
export { NodeWebSocket } from './node-websocket.js';
export {
  decodeFrame,
  encodeData,
  encodeHeartbeat,
  encodeHubs,
  encodePeers,
  encodeWelcome,
  type Frame,
  FrameType,
  MAX_HUB_URLS,
  MAX_PEER_IDS,
  WS_FRAME_VERSION,
} from './wire/frame.js';
