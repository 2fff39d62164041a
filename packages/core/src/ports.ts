/**
 * `@shoal/core/ports`: what an adapter author implements and tests against. Every port a node
 * reaches the world through, with the default implementations core ships, the constants an
 * implementation must honour, and the storage of last resort. Apps need none of this: they
 * import from `@shoal/core`. Each port has a conformance suite in `@shoal/testkit`.
 *
 * @packageDocumentation
 */

export { packBatch, unpackBatch } from './persistence/batch-buffer.js';
export { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type Aead, nobleXChaCha20Poly1305 } from './ports/aead.js';
export { type Compression, fflateCompression } from './ports/compression.js';
export { cryptoRandom } from './ports/crypto-random.js';
export { HandlerSet } from './ports/handler-set.js';
export type {
  BatchOperation,
  KeyRange,
  KeyValueStore,
  PackedBatch,
  StoreStats,
} from './ports/key-value-store.js';
export type { MessageHandler, MessagePort, PeerHandler } from './ports/message-port.js';
export type { RandomPort } from './ports/random-port.js';
export { SeededRandom } from './ports/seeded-random.js';
export { nobleSha256, type Sha256 } from './ports/sha256.js';
export {
  nobleEd25519,
  SIGNATURE_BYTES,
  SIGNING_PUBLIC_KEY_BYTES,
  SIGNING_SECRET_KEY_BYTES,
  type Signer,
} from './ports/signer.js';
export type { TimerPort } from './ports/timer-port.js';
export { MemoryStore } from './storage/memory-store.js';
