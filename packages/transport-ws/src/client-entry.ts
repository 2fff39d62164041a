/**
 * @shoal/transport-ws/client: the WebSocket client port alone, free of Node built-ins, for
 * browsers and bundlers. Pass the native `WebSocket` (the default where it exists).
 */
export { Backoff, type BackoffOptions } from './client/backoff.js';
export { Heartbeat, type HeartbeatOptions } from './client/heartbeat.js';
export { SUBPROTOCOL, type WebSocketConstructor, type WebSocketLike } from './client/websocket-like.js';
export { type WakeTarget, WsClient, type WsClientOptions, type WsClientStats } from './client/ws-client.js';
export { systemTimers } from './system-timers.js';
