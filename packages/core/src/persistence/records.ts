import type { Timestamp } from '../clock/timestamp.js';
import { readTimestamp, writeTimestamp } from '../clock/timestamp-codec.js';
import { decodeValue } from '../codec/decode-value.js';
import type { Value } from '../crdt/value.js';
import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import { isNodeId, type NodeId } from '../ids/node-id.js';
import { readNodeId, writeNodeId } from '../protocol/node-id-codec.js';
import { MAX_WIRE_KEY_BYTES } from '../protocol/sync-codec.js';
import { type ByteReader, type DecodeResult, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';

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

/** Encodes a map entry record value (the path lives in the key). */
export function encodeMapRecord(entry: StoredMapEntry, valueBytes: Uint8Array | undefined): Uint8Array {
  const writer = new ByteWriter(32 + (valueBytes?.length ?? 0));
  writeTimestamp(writer, entry);
  writeNodeId(writer, entry.writer);
  writer.writeVarint(entry.changeSeq).writeU8(valueBytes === undefined ? 1 : 0);
  if (valueBytes !== undefined) writer.writeRaw(valueBytes);
  return writer.finish();
}

/** Decodes a map entry record from its key and value; fails on anything malformed. */
export function decodeMapRecord(key: Uint8Array, value: Uint8Array): DecodeResult<StoredMapEntry> {
  return readAll(key, (keyReader) => {
    keyReader.readU8();
    const channel = keyReader.readString(MAX_NAME_BYTES);
    const map = keyReader.readString(MAX_NAME_BYTES);
    const entryKey = keyReader.readString(MAX_WIRE_KEY_BYTES);
    const decoded = readAll(value, (reader) => {
      const stamp = readTimestamp(reader);
      const writer = readNodeId(reader);
      const changeSeq = reader.readVarint();
      const tombstone = reader.readU8();
      return { stamp, writer, changeSeq, value: tombstone === 1 ? undefined : readRest(reader) };
    });
    if (!decoded.ok) return keyReader.fail(decoded.error);
    const { stamp, writer, changeSeq } = decoded.value;
    return { channel, map, key: entryKey, ...stamp, writer, changeSeq, value: decoded.value.value };
  });
}

/** Encodes a stream entry record value. */
export function encodeStreamRecord(entry: StoredStreamEntry): Uint8Array {
  const writer = new ByteWriter(16 + entry.payload.length);
  writeTimestamp(writer, entry);
  return writer.writeVarint(entry.changeSeq).writeRaw(entry.payload).finish();
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
      return { stamp, changeSeq, payload: reader.readRaw(reader.remaining).slice() };
    });
    if (!decoded.ok) return keyReader.fail(decoded.error);
    const { stamp, changeSeq, payload } = decoded.value;
    return { channel, stream, author, seq, ...stamp, changeSeq, payload };
  });
}

/** Encodes a timestamp record (synced clocks, the HLC high-water mark). */
export function encodeTimestampRecord(stamp: Timestamp): Uint8Array {
  const writer = new ByteWriter(12);
  writeTimestamp(writer, stamp);
  return writer.finish();
}

/** Decodes a timestamp record. */
export function decodeTimestampRecord(bytes: Uint8Array): DecodeResult<Timestamp> {
  return readAll(bytes, readTimestamp);
}

/** Encodes a counter record (epoch, incarnation, change seq). */
export function encodeCounterRecord(value: number): Uint8Array {
  return new ByteWriter(9).writeVarint(value).finish();
}

/** Decodes a counter record. */
export function decodeCounterRecord(bytes: Uint8Array): DecodeResult<number> {
  return readAll(bytes, (reader) => reader.readVarint());
}

function readRest(reader: ByteReader): Value {
  const decoded = decodeValue(reader.readRaw(reader.remaining));
  return decoded.ok ? decoded.value : reader.fail(decoded.error);
}
