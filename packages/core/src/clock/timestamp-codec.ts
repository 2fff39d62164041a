import type { ByteReader } from '../wire/byte-reader.js';
import { type ByteWriter, varintSize } from '../wire/byte-writer.js';
import { MAX_COUNTER, MAX_WALL, type Timestamp } from './timestamp.js';

/** Writes a timestamp as two varints: wall ms (≤ 7 bytes) and counter (usually 1 byte). */
export function writeTimestamp(writer: ByteWriter, stamp: Timestamp): void {
  writer.writeVarint(stamp.wall).writeVarint(stamp.counter);
}

/** Reads a timestamp written by {@link writeTimestamp}, bounds-checked. */
export function readTimestamp(reader: ByteReader): Timestamp {
  const wall = reader.readBoundedVarint(MAX_WALL);
  const counter = reader.readBoundedVarint(MAX_COUNTER);
  return { wall, counter };
}

/** Bytes {@link writeTimestamp} writes for `stamp`. */
export function timestampSize(stamp: Timestamp): number {
  return varintSize(stamp.wall) + varintSize(stamp.counter);
}
