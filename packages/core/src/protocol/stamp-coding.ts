import { MAX_COUNTER, MAX_WALL, type Timestamp } from '../clock/timestamp.js';
import type { ByteReader } from '../wire/byte-reader.js';
import { type ByteWriter, varintSize } from '../wire/byte-writer.js';

/**
 * The previous stamp within one object of a delta: entries are delta-coded against it. A map
 * object's cursor starts at its first claim's `from` (its entries follow it closely), else at
 * zero. Mutable: each write or read moves it on.
 */
export interface StampCursor {
  wall: number;
  counter: number;
}

/** A cursor at `start` (zero when none). */
export function stampCursor(start?: Timestamp): StampCursor {
  return { wall: start?.wall ?? 0, counter: start?.counter ?? 0 };
}

/**
 * Writes `stamp` as `zigzag(wall - previous wall)`, then, when the wall is unchanged,
 * `zigzag(counter - previous counter)`, else the counter itself. A burst of writes in one
 * millisecond (counters 0, 1, 2, …) then costs two one-byte varints an entry, all alike,
 * which also deflates well.
 */
export function writeStamp(writer: ByteWriter, cursor: StampCursor, stamp: Timestamp): void {
  const sameWall = stamp.wall === cursor.wall;
  writer.writeVarint(zigzag(stamp.wall - cursor.wall));
  writer.writeVarint(sameWall ? zigzag(stamp.counter - cursor.counter) : stamp.counter);
  cursor.wall = stamp.wall;
  cursor.counter = stamp.counter;
}

/** Bytes {@link writeStamp} writes for `stamp` at `cursor` (which it does not move). */
export function stampSize(cursor: StampCursor, stamp: Timestamp): number {
  const sameWall = stamp.wall === cursor.wall;
  return (
    varintSize(zigzag(stamp.wall - cursor.wall)) +
    varintSize(sameWall ? zigzag(stamp.counter - cursor.counter) : stamp.counter)
  );
}

/** Reads a stamp written by {@link writeStamp}; fails on a wall or counter out of range. */
export function readStamp(reader: ByteReader, cursor: StampCursor): Timestamp {
  const wall = cursor.wall + unzigzag(reader.readVarint());
  if (!Number.isInteger(wall) || wall < 0 || wall > MAX_WALL) reader.fail('wall clock out of range');
  const counter = wall === cursor.wall ? cursor.counter + unzigzag(reader.readVarint()) : reader.readVarint();
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_COUNTER) reader.fail('counter out of range');
  cursor.wall = wall;
  cursor.counter = counter;
  return { wall, counter };
}

/** Signed to unsigned: 2d for d ≥ 0, -2d - 1 below. */
export function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Inverse of {@link zigzag}. */
export function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}
