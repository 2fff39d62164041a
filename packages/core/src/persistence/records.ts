import type { Timestamp, Version } from '../clock/timestamp.js';
import { readTimestamp, timestampSize, writeTimestamp } from '../clock/timestamp-codec.js';
import { decodeValueRange } from '../codec/decode-value.js';
import type { EntryProof } from '../crdt/event-log.js';
import type { Value } from '../crdt/value.js';
import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import { isNodeId, type NodeId } from '../ids/node-id.js';
import { SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES } from '../ports/signer.js';
import { nodeIdBytes, readNodeId } from '../protocol/node-id-codec.js';
import { MAX_WIRE_KEY_BYTES } from '../protocol/sync-codec.js';
import { VALUE_DIGEST_BYTES } from '../security/map-set-proofs.js';
import type { SetSignature } from '../sync/verified-sets.js';
import type { SetItem } from '../sync/writer-set.js';
import { ByteReader, type DecodeResult, readAll } from '../wire/byte-reader.js';
import { ByteWriter, varintSize } from '../wire/byte-writer.js';
import { MAX_VARINT_BYTES, writeRangeAt, writeRawAt, writeVarintAt } from '../wire/write-at.js';

/** A map entry as stored: its object path, version, local change seq and encoded value. */
export interface StoredMapEntry {
  readonly channel: string;
  readonly map: string;
  readonly key: string;
  readonly wall: number;
  readonly counter: number;
  readonly writer: NodeId;
  readonly changeSeq: number;
  readonly value: Value | undefined;
  /** Where the value's encoding starts in the record's value bytes (it runs to their end); -1 for a tombstone. */
  readonly valueStart: number;
}

/** A stream entry as stored. */
export interface StoredStreamEntry {
  readonly channel: string;
  readonly stream: string;
  readonly author: NodeId;
  readonly seq: number;
  readonly wall: number;
  readonly counter: number;
  readonly changeSeq: number;
  readonly payload: Uint8Array;
}

/** Most bytes {@link writeMapRecordAt} writes for `entry` and a value of `valueLength` bytes. */
export function mapRecordBound(entry: Version, valueLength: number): number {
  return 3 * MAX_VARINT_BYTES + writerBytes(entry.writer).length + 1 + valueLength;
}

/**
 * Writes a map entry record value (the path lives in the key) at `at` of `bytes`, which has
 * room for {@link mapRecordBound}: version, change seq, a tombstone flag, the encoded value
 * (`value[start .. end)`; no `value` for a tombstone). Returns where it ends.
 */
export function writeMapRecordAt(
  bytes: Uint8Array,
  at: number,
  entry: Version,
  changeSeq: number,
  value: Uint8Array | undefined,
  start: number,
  end: number,
): number {
  let next = writeVarintAt(bytes, at, entry.wall);
  next = writeVarintAt(bytes, next, entry.counter);
  next = writeRawAt(bytes, next, writerBytes(entry.writer));
  next = writeVarintAt(bytes, next, changeSeq);
  bytes[next++] = value === undefined ? 1 : 0;
  return value === undefined ? next : writeRangeAt(bytes, next, value, start, end);
}

/** The last writer id encoded: records come in runs of one writer (a delta is sorted by writer). */
let lastWriter: { readonly id: NodeId; readonly bytes: Uint8Array } | undefined;

/** `id` as the node-id codec writes it, remembered for the next record of the same writer. */
function writerBytes(id: NodeId): Uint8Array {
  if (lastWriter?.id !== id) lastWriter = { id, bytes: nodeIdBytes(id) };
  return lastWriter.bytes;
}

/** Decodes a map entry record from its key and value; fails on anything malformed. */
export function decodeMapRecord(key: Uint8Array, value: Uint8Array): DecodeResult<StoredMapEntry> {
  return readAll(key, (keyReader) => {
    keyReader.readU8();
    const channel = keyReader.readString(MAX_NAME_BYTES);
    const map = keyReader.readString(MAX_NAME_BYTES);
    const entryKey = keyReader.readString(MAX_WIRE_KEY_BYTES);
    // The value's reader inside the key's, one result for both: a channel loads a record per
    // entry, and a result object and closure per part were most of the garbage of a load.
    const reader = new ByteReader(value);
    const stamp = readTimestamp(reader);
    const writer = readNodeId(reader);
    const changeSeq = reader.readVarint();
    const tombstone = reader.readU8();
    const valueStart = tombstone === 1 ? -1 : reader.offset;
    const entryValue = tombstone === 1 ? undefined : readRest(reader);
    reader.expectEnd();
    return {
      channel,
      map,
      key: entryKey,
      wall: stamp.wall,
      counter: stamp.counter,
      writer,
      changeSeq,
      value: entryValue,
      valueStart,
    };
  });
}

/** Most bytes {@link writeStreamRecordAt} writes for `payload`. */
export function streamRecordBound(payload: Uint8Array): number {
  return 3 * MAX_VARINT_BYTES + payload.length;
}

/**
 * Writes a stream entry record value (the path lives in the key) at `at` of `bytes`, which has
 * room for {@link streamRecordBound}: stamp, change seq, payload. Returns where it ends.
 */
export function writeStreamRecordAt(
  bytes: Uint8Array,
  at: number,
  entry: Timestamp & { readonly payload: Uint8Array },
  changeSeq: number,
): number {
  let end = writeVarintAt(bytes, at, entry.wall);
  end = writeVarintAt(bytes, end, entry.counter);
  end = writeVarintAt(bytes, end, changeSeq);
  return writeRawAt(bytes, end, entry.payload);
}

/** Decodes a stream entry record from its key and value. */
export function decodeStreamRecord(key: Uint8Array, value: Uint8Array): DecodeResult<StoredStreamEntry> {
  return readAll(key, (keyReader): StoredStreamEntry => {
    keyReader.readU8();
    const channel = keyReader.readString(MAX_NAME_BYTES);
    const stream = keyReader.readString(MAX_NAME_BYTES);
    const author = keyReader.readString(MAX_NAME_BYTES);
    if (!isNodeId(author)) return keyReader.fail('malformed author');
    const seq = keyReader.readU32() * 0x1_0000_0000 + keyReader.readU32();
    const decoded = readAll(value, (reader) => {
      const stamp = readTimestamp(reader);
      const changeSeq = reader.readVarint();
      return { stamp, changeSeq, payload: reader.source.slice(reader.skip(reader.remaining)) };
    });
    if (!decoded.ok) return keyReader.fail(decoded.error);
    const { stamp, changeSeq, payload } = decoded.value;
    return { channel, stream, author, seq, ...stamp, changeSeq, payload };
  });
}

/** A stream proof as stored (ADR 0054). */
export interface StoredStreamProof {
  readonly stream: string;
  readonly author: NodeId;
  readonly seq: number;
  readonly proof: EntryProof;
}

/** Decodes a stream proof record from its key and value (signature, then public key). */
export function decodeStreamProofRecord(key: Uint8Array, value: Uint8Array): DecodeResult<StoredStreamProof> {
  return readAll(key, (keyReader): StoredStreamProof => {
    keyReader.readU8();
    keyReader.readString(MAX_NAME_BYTES);
    const stream = keyReader.readString(MAX_NAME_BYTES);
    const author = keyReader.readString(MAX_NAME_BYTES);
    if (!isNodeId(author)) return keyReader.fail('malformed author');
    const seq = keyReader.readU32() * 0x1_0000_0000 + keyReader.readU32();
    if (value.length !== SIGNATURE_BYTES + SIGNING_PUBLIC_KEY_BYTES)
      return keyReader.fail('bad proof length');
    const proof = {
      signature: value.slice(0, SIGNATURE_BYTES),
      publicKey: value.slice(SIGNATURE_BYTES),
    };
    return { stream, author, seq, proof };
  });
}

/** Encodes a timestamp record (synced clocks, the HLC high-water mark). */
export function encodeTimestampRecord(stamp: Timestamp): Uint8Array {
  const record = new ByteWriter(timestampSize(stamp));
  writeTimestamp(record, stamp);
  return record.finish();
}

/** Decodes a timestamp record. */
export function decodeTimestampRecord(bytes: Uint8Array): DecodeResult<Timestamp> {
  return readAll(bytes, readTimestamp);
}

/** Encodes a writer's signature over its set of a map (ADR 0058): version, signature, key. */
export function encodeSetSignatureRecord(signed: SetSignature): Uint8Array {
  const record = new ByteWriter(timestampSize(signed.version) + SIGNATURE_BYTES + SIGNING_PUBLIC_KEY_BYTES);
  writeTimestamp(record, signed.version);
  return record.writeRaw(signed.signature).writeRaw(signed.publicKey).finish();
}

/** Decodes a set signature record (a store from before ADR 0058 holds bare clocks: those fail). */
export function decodeSetSignatureRecord(bytes: Uint8Array): DecodeResult<SetSignature> {
  return readAll(bytes, (reader) => {
    const version = readTimestamp(reader);
    const signature = reader.readRaw(SIGNATURE_BYTES).slice();
    return { version, signature, publicKey: reader.readRaw(SIGNING_PUBLIC_KEY_BYTES).slice() };
  });
}

/** Encodes a ghost record's value (the writer and key are in its record key): version, digest. */
export function encodeGhostRecord(item: SetItem): Uint8Array {
  const record = new ByteWriter(timestampSize(item) + VALUE_DIGEST_BYTES);
  writeTimestamp(record, item);
  return record.writeRaw(item.digest).finish();
}

/** Decodes a ghost record: the set item of `key` it holds. */
export function decodeGhostRecord(key: string, bytes: Uint8Array): DecodeResult<SetItem> {
  return readAll(bytes, (reader) => {
    const { wall, counter } = readTimestamp(reader);
    return { key, wall, counter, digest: reader.readRaw(VALUE_DIGEST_BYTES).slice() };
  });
}

/** Encodes a counter record (epoch, incarnation, change seq). */
export function encodeCounterRecord(value: number): Uint8Array {
  return new ByteWriter(varintSize(value)).writeVarint(value).finish();
}

/** Decodes a counter record. */
export function decodeCounterRecord(bytes: Uint8Array): DecodeResult<number> {
  return readAll(bytes, (reader) => reader.readVarint());
}

/** How many keys a map kept in the store holds (ADR 0050). */
export interface MapCounts {
  /** Keys with a value. */
  readonly live: number;
  /** Keys held, tombstones included. */
  readonly total: number;
}

/** Encodes a map count record: live keys, then all keys. */
export function encodeMapCountRecord(counts: MapCounts): Uint8Array {
  return new ByteWriter(varintSize(counts.live) + varintSize(counts.total))
    .writeVarint(counts.live)
    .writeVarint(counts.total)
    .finish();
}

/** Decodes a map count record; fails unless live ≤ total. */
export function decodeMapCountRecord(bytes: Uint8Array): DecodeResult<MapCounts> {
  return readAll(bytes, (reader) => {
    const live = reader.readVarint();
    const total = reader.readVarint();
    return live <= total ? { live, total } : reader.fail('a map count record with more live keys than keys');
  });
}

/** The stored value (not frozen: the map freezes what it hands out). */
function readRest(reader: ByteReader): Value {
  // Decoded in place, not through a view: a view of a small (on-heap) array makes the engine
  // move the array off the heap first, which cost more than decoding it.
  const end = reader.source.length;
  const decoded = decodeValueRange(reader.source, reader.skip(reader.remaining), end);
  return decoded.ok ? decoded.value : reader.fail(decoded.error);
}
