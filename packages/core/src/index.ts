/**
 * @shoal/core: the pure heart of Shoal. No I/O here: the outside world arrives through the
 * ports ({@link MessagePort}, {@link TimerPort}, {@link RandomPort}, {@link KeyValueStore}).
 *
 * @packageDocumentation
 */

export { DEFAULT_MAX_DRIFT_MS, Hlc, type HlcOptions } from './clock/hlc.js';
export {
  compareTimestamps,
  compareVersions,
  formatTimestamp,
  MAX_COUNTER,
  MAX_WALL,
  type Timestamp,
  type Version,
  ZERO_TIMESTAMP,
} from './clock/timestamp.js';
export { decodeValue } from './codec/decode-value.js';
export { encodeValue, type UnsupportedValueReason, validateValue } from './codec/encode-value.js';
export { valueEquals } from './codec/value-equals.js';
export { DEFAULT_VALUE_LIMITS, MAX_DEPTH_CEILING, type ValueLimits } from './codec/value-limits.js';
export { Channel, type ImportResult } from './coordinator/channel.js';
export {
  type CoordinatorConfig,
  type CoordinatorConfigInput,
  DEFAULT_LIMITS,
  type Limits,
} from './coordinator/config.js';
export { Coordinator } from './coordinator/coordinator.js';
export { createNode } from './coordinator/create-node.js';
export { EventStream } from './coordinator/event-stream.js';
export type { MapProxy } from './coordinator/map-proxy.js';
export type {
  CoordinatorOptions,
  NodeEvent,
  NodeHealth,
  NodeState,
  NodeStats,
  PeerSyncResult,
  PortSource,
  ResourceUsage,
  Secret,
  StopOptions,
  SyncNowOptions,
} from './coordinator/node-types.js';
export { PROFILES, type Profile, type ProfileSettings } from './coordinator/profiles.js';
export {
  type MapEntryInfo,
  type MapWatchEvent,
  SharedMap,
  type WatchOptions,
} from './coordinator/shared-map.js';
export { SharedStream, type StreamWatchEvent } from './coordinator/shared-stream.js';
export type { PeerSyncStatus, SyncStats } from './coordinator/sync-engine.js';
export type { MessageTypeName, Traffic, TrafficByType } from './coordinator/traffic-counters.js';
export type { TransactOptions } from './coordinator/transaction.js';
export {
  type ApplyOutcome,
  compareStreamEntries,
  type EntryListener,
  EventLog,
  type EventLogOptions,
  type MaterializedView,
  type Materializer,
  precedesInConflict,
  type StreamEntry,
} from './crdt/event-log.js';
export { LwwMap, type MapChange, type MapEntry } from './crdt/lww-map.js';
export type { ChainFingerprint } from './crdt/stream-chain.js';
export type { Value, ValueObject } from './crdt/value.js';
export { assert, ErrorCode, isShoalError, ShoalError } from './errors/shoal-error.js';
export { type ChannelId, isChannelId, isName, MAX_NAME_BYTES, parseChannelId } from './ids/channel-id.js';
export { isNodeId, MAX_NODE_ID_LENGTH, type NodeId, parseNodeId, randomNodeId } from './ids/node-id.js';
export { isSelfCertifyingId, keyFitsId, selfCertifyingId } from './ids/self-certifying-id.js';
export {
  LEAF_PROBE_INTERVAL,
  LEAF_PUSH_PULL_INTERVAL,
  lanConfig,
  localConfig,
  type MembershipConfig,
  wanConfig,
} from './membership/config.js';
export type { MemberInfo, MemberState } from './membership/member-state.js';
export type { MembershipStats } from './membership/membership-events.js';
export { packBatch, unpackBatch } from './persistence/batch-buffer.js';
export { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type Aead, nobleXChaCha20Poly1305 } from './ports/aead.js';
export { type Compression, fflateCompression } from './ports/compression.js';
export { cryptoRandom } from './ports/crypto-random.js';
export type {
  BatchOperation,
  KeyRange,
  KeyValueStore,
  PackedBatch,
  StoreStats,
} from './ports/key-value-store.js';
export type { MessageHandler, MessagePort, PeerHandler } from './ports/message-port.js';
export { type RandomPort, randomInt, sample } from './ports/random-port.js';
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
export {
  type FaultStats,
  type FaultyPort,
  type NetworkFaults,
  type WithFaultsOptions,
  withFaults,
} from './ports/with-faults.js';
export { readNodeId, writeNodeId } from './protocol/node-id-codec.js';
export { createInvite, type Invite, parseInvite } from './security/invite-token.js';
export { type KeyRef, Keyring, type KeyringChange } from './security/keyring.js';
export {
  DROP_REASONS,
  type DropReason,
  MAX_EPOCH,
  MAX_EPOCH_STEP,
  MessageSealer,
  type MessageSealerOptions,
  MIN_EPOCH_RISE_INTERVAL,
  type OpenResult,
  type SealerStats,
} from './security/message-sealer.js';
export { type KeyId, NETWORK_TAG_BYTES, networkTag } from './security/network-key.js';
export {
  DEFAULT_SCRYPT_COST,
  generateSecret,
  MIN_PASSPHRASE_LENGTH,
  type NetworkSecret,
  type ScryptCost,
  SECRET_BYTES,
  secretFromBytes,
  secretFromPassphrase,
} from './security/network-secret.js';
export { type KeyOffer, PEER_KEY_REBIND_AFTER_MS, PeerKeys } from './security/peer-keys.js';
export { bytesEqual, compareBytes, concatBytes, startsWith, toHex } from './storage/bytes.js';
export { MemoryStore } from './storage/memory-store.js';
export { ByteReader, type DecodeResult, readAll } from './wire/byte-reader.js';
export { ByteWriter, varintSize } from './wire/byte-writer.js';
