/**
 * @shoal/node: Shoal on Node.js in one call. {@link openNode} wires a UDP transport with LAN
 * discovery, LMDB storage and Node's clock into a started `Coordinator`.
 *
 * @packageDocumentation
 */
export { nodeXChaCha20Poly1305 } from './node-aead.js';
export { nodeZlibCompression } from './node-compression.js';
export { nodeSha256 } from './node-sha256.js';
export { nodeEd25519 } from './node-signer.js';
export { nodeTimers } from './node-timers.js';
export { type OpenNodeOptions, openNode } from './open-node.js';
