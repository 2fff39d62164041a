import { MAX_COUNTER, MAX_WALL } from '../clock/timestamp.js';
import { readTimestamp, timestampSize, writeTimestamp } from '../clock/timestamp-codec.js';
import type { ByteReader } from '../wire/byte-reader.js';
import type { ByteWriter } from '../wire/byte-writer.js';
import type { MapClock } from './sync-messages.js';

/** Most bytes a catch-up's bitmap takes: a bit per node of the deepest cut (4096 nodes). */
export const MAX_PARTS_BYTES = 4096 / 8;

/**
 * Writes a map writer's digest clock: `wall varint, (counter × 2 + has-parts) varint`, then, for
 * a catch-up by slices under way, the cut's version and its bitmap (`length varint, bytes`).
 */
export function writeMapClock(writer: ByteWriter, clock: MapClock): void {
  writer.writeVarint(clock.wall).writeVarint(clock.counter * 2 + (clock.parts === undefined ? 0 : 1));
  const parts = clock.parts;
  if (parts === undefined) return;
  writeTimestamp(writer, parts.version);
  writer.writeBytes(parts.done);
}

/** Reads a clock written by {@link writeMapClock}, bounds-checked. */
export function readMapClock(reader: ByteReader): MapClock {
  const wall = reader.readBoundedVarint(MAX_WALL);
  const packed = reader.readBoundedVarint(MAX_COUNTER * 2 + 1);
  const counter = Math.floor(packed / 2);
  if (packed % 2 === 0) return { wall, counter };
  const version = readTimestamp(reader);
  return { wall, counter, parts: { version, done: reader.readBytes(MAX_PARTS_BYTES).slice() } };
}

/** Most bytes {@link writeMapClock} writes for `clock`. */
export function mapClockMaxBytes(clock: MapClock): number {
  const parts = clock.parts;
  return parts === undefined ? 10 : 10 + timestampSize(parts.version) + 2 + parts.done.length;
}
