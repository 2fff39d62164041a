/**
 * @shoal/core: the pure heart of Shoal. No I/O here: the outside world arrives through the
 * ports ({@link MessagePort}, {@link TimerPort}, {@link RandomPort}, {@link KeyValueStore}).
 */

export type { Value, ValueObject } from './crdt/value.js';
export { assert, ErrorCode, isShoalError, ShoalError } from './errors/shoal-error.js';
export { type ChannelId, isChannelId, isName, MAX_NAME_BYTES, parseChannelId } from './ids/channel-id.js';
export { isNodeId, MAX_NODE_ID_LENGTH, type NodeId, parseNodeId, randomNodeId } from './ids/node-id.js';
export type { BatchOperation, KeyValueStore } from './ports/key-value-store.js';
export type { MessageHandler, MessagePort, PeerHandler } from './ports/message-port.js';
export { type RandomPort, randomInt, sample } from './ports/random-port.js';
export type { TimerPort } from './ports/timer-port.js';
export { bytesEqual, compareBytes, concatBytes, startsWith, toHex } from './storage/bytes.js';
export { MemoryStore } from './storage/memory-store.js';
export { ByteReader, type DecodeResult, readAll } from './wire/byte-reader.js';
export { ByteWriter, varintSize } from './wire/byte-writer.js';
