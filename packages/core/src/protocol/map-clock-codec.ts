import { compareTimestamps, MAX_COUNTER, MAX_WALL } from '../clock/timestamp.js';
import { readTimestamp, writeTimestamp } from '../clock/timestamp-codec.js';
import type { ByteReader } from '../wire/byte-reader.js';
import type { ByteWriter } from '../wire/byte-writer.js';
import { readStamp, stampCursor, writeStamp } from './stamp-coding.js';
import type { HeldBeyondBucket, MapClock } from './sync-messages.js';

/** Most buckets a held-beyond summary has, its last one implied (a digest clock stays small). */
export const MAX_BEYOND_BUCKETS = 16;
/** Most entries a summary may count (far beyond any channel's limit; keeps `count × 2` exact). */
const MAX_BEYOND_COUNT = 2 ** 48;

/**
 * Writes a map writer's digest clock: `wall varint, (counter × 2 + has-beyond) varint`, then,
 * when entries are held beyond the clock, `max timestamp, (count × 2 + has-buckets) varint,
 * sum1 u32, sum2 u32`, then, with buckets, `bucket-count varint` and per listed bucket `upTo`
 * (a stamp delta-coded from the clock, then from the previous bucket's), `count varint, sum1 u32,
 * sum2 u32`.
 */
export function writeMapClock(writer: ByteWriter, clock: MapClock): void {
  writer.writeVarint(clock.wall).writeVarint(clock.counter * 2 + (clock.beyond === undefined ? 0 : 1));
  const beyond = clock.beyond;
  if (beyond === undefined) return;
  const buckets = beyond.buckets ?? [];
  writeTimestamp(writer, beyond.max);
  writer
    .writeVarint(beyond.count * 2 + (buckets.length > 0 ? 1 : 0))
    .writeU32(beyond.sum1)
    .writeU32(beyond.sum2);
  if (buckets.length === 0) return;
  writer.writeVarint(buckets.length);
  const cursor = stampCursor(clock);
  for (const bucket of buckets) {
    writeStamp(writer, cursor, bucket.upTo);
    writer.writeVarint(bucket.count).writeU32(bucket.sum1).writeU32(bucket.sum2);
  }
}

/**
 * Reads a clock written by {@link writeMapClock}, bounds-checked: bucket bounds must ascend
 * strictly and stay below `max`, and bucket counts may not add up to more than the total.
 */
export function readMapClock(reader: ByteReader): MapClock {
  const wall = reader.readBoundedVarint(MAX_WALL);
  const packed = reader.readBoundedVarint(MAX_COUNTER * 2 + 1);
  const counter = Math.floor(packed / 2);
  if (packed % 2 === 0) return { wall, counter };
  const max = readTimestamp(reader);
  const packedCount = reader.readBoundedVarint(MAX_BEYOND_COUNT * 2 + 1);
  const count = Math.floor(packedCount / 2);
  const sum1 = reader.readU32();
  const sum2 = reader.readU32();
  if (packedCount % 2 === 0) return { wall, counter, beyond: { max, count, sum1, sum2 } };
  const listed = reader.readBoundedVarint(MAX_BEYOND_BUCKETS - 1);
  if (listed === 0) reader.fail('a bucketed summary without buckets');
  const cursor = stampCursor({ wall, counter });
  const buckets: HeldBeyondBucket[] = [];
  let counted = 0;
  for (let i = 0; i < listed; i++) {
    const upTo = readStamp(reader, cursor);
    const previous = buckets[buckets.length - 1]?.upTo;
    if (previous !== undefined && compareTimestamps(upTo, previous) <= 0)
      reader.fail('bucket bounds out of order');
    if (compareTimestamps(upTo, max) >= 0) reader.fail('a bucket bound at or beyond the newest entry');
    const bucketCount = reader.readBoundedVarint(count - counted);
    counted += bucketCount;
    buckets.push({ upTo, count: bucketCount, sum1: reader.readU32(), sum2: reader.readU32() });
  }
  return { wall, counter, beyond: { max, count, sum1, sum2, buckets } };
}

/** Most bytes {@link writeMapClock} writes for a clock without buckets. */
const MAP_CLOCK_MAX_BYTES = 7 + 3 + 10 + 8 + 8;
/** Most bytes a listed bucket takes: a stamp (wall delta, counter), a count, two sums. */
const BUCKET_MAX_BYTES = 8 + 3 + 7 + 8;

/** Most bytes {@link writeMapClock} writes for `clock`. */
export function mapClockMaxBytes(clock: MapClock): number {
  const beyond = clock.beyond;
  if (beyond === undefined) return 10;
  const buckets = beyond.buckets?.length ?? 0;
  return MAP_CLOCK_MAX_BYTES + 1 + (buckets === 0 ? 0 : 1 + buckets * BUCKET_MAX_BYTES);
}
