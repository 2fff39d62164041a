import { MAX_COUNTER, MAX_WALL } from '../clock/timestamp.js';
import { readTimestamp, writeTimestamp } from '../clock/timestamp-codec.js';
import type { ByteReader } from '../wire/byte-reader.js';
import type { ByteWriter } from '../wire/byte-writer.js';
import type { MapClock } from './sync-messages.js';

/**
 * Writes a map writer's digest clock: `wall varint, (counter × 2 + has-beyond) varint`, then,
 * when entries are held beyond the clock, `max timestamp, count varint, sum1 u32, sum2 u32`.
 */
export function writeMapClock(writer: ByteWriter, clock: MapClock): void {
  writer.writeVarint(clock.wall).writeVarint(clock.counter * 2 + (clock.beyond === undefined ? 0 : 1));
  const beyond = clock.beyond;
  if (beyond === undefined) return;
  writeTimestamp(writer, beyond.max);
  writer.writeVarint(beyond.count).writeU32(beyond.sum1).writeU32(beyond.sum2);
}

/** Reads a clock written by {@link writeMapClock}, bounds-checked. */
export function readMapClock(reader: ByteReader): MapClock {
  const wall = reader.readBoundedVarint(MAX_WALL);
  const packed = reader.readBoundedVarint(MAX_COUNTER * 2 + 1);
  const counter = Math.floor(packed / 2);
  if (packed % 2 === 0) return { wall, counter };
  const max = readTimestamp(reader);
  const count = reader.readBoundedVarint(Number.MAX_SAFE_INTEGER);
  return { wall, counter, beyond: { max, count, sum1: reader.readU32(), sum2: reader.readU32() } };
}

/** Most bytes {@link writeMapClock} writes. */
export const MAP_CLOCK_MAX_BYTES = 7 + 3 + 10 + 8 + 8;
