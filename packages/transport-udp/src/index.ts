/**
 * @shoal/transport-udp: Shoal's {@link @shoal/core!MessagePort} over `node:dgram`, with LAN discovery by
 * multicast, optional broadcast and bootstrap peers. The transport frames and paces
 * datagrams; it authenticates nothing (core seals every message).
 *
 * @packageDocumentation
 */
export {
  decodeUdpAddress,
  encodeUdpAddress,
  formatUdpAddress,
  isUnicastAddress,
  UDP_ADDRESS_V4_LENGTH,
  UDP_ADDRESS_V6_LENGTH,
  type UdpAddress,
  udpAddress,
} from './address/udp-address.js';
export type { DecodeResult } from './decode-result.js';
export type { PacingOptions } from './pacing/token-bucket.js';
export { UdpTransport } from './udp-transport.js';
export {
  type BroadcastOptions,
  DEFAULT_MULTICAST_GROUP,
  DEFAULT_MULTICAST_PORT,
  DEFAULT_PACING,
  type MulticastOptions,
  type UdpTransportOptions,
} from './udp-transport-options.js';
export type { UdpTransportStats } from './udp-transport-stats.js';
export { decodeFrame, encodeFrame, FRAME_VERSION, type Frame, frameOverhead } from './wire/frame.js';
