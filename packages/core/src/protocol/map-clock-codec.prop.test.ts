import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import { type ByteReader, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { MAX_BEYOND_BUCKETS, mapClockMaxBytes, readMapClock, writeMapClock } from './map-clock-codec.js';
import type { MapClock } from './sync-messages.js';

const stampArb = fc.record({
  wall: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  counter: fc.integer({ min: 0, max: 65535 }),
});
const sumArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });

/** A clock with a summary whose buckets are as the decoder accepts them (ascending, below max). */
const bucketedArb: fc.Arbitrary<MapClock> = fc
  .record({
    clock: stampArb,
    stamps: fc.uniqueArray(stampArb, {
      minLength: 2,
      maxLength: MAX_BEYOND_BUCKETS,
      selector: (s) => `${s.wall}:${s.counter}`,
    }),
    counts: fc.array(fc.nat(1000), { minLength: MAX_BEYOND_BUCKETS, maxLength: MAX_BEYOND_BUCKETS }),
    extra: fc.nat(1000),
    sums: fc.array(sumArb, { minLength: 2 * MAX_BEYOND_BUCKETS, maxLength: 2 * MAX_BEYOND_BUCKETS }),
  })
  .map(({ clock, stamps, counts, extra, sums }) => {
    const sorted = [...stamps].sort(compareTimestamps);
    const max = sorted.pop() as Timestamp;
    const buckets = sorted.map((upTo, i) => ({
      upTo,
      count: counts[i] as number,
      sum1: sums[2 * i] as number,
      sum2: sums[2 * i + 1] as number,
    }));
    const count = buckets.reduce((n, b) => n + b.count, extra);
    return { ...clock, beyond: { max, count, sum1: sums[30] as number, sum2: sums[31] as number, buckets } };
  });

const clockArb: fc.Arbitrary<MapClock> = fc.oneof(
  stampArb,
  fc.record({
    wall: stampArb.map((s) => s.wall),
    counter: stampArb.map((s) => s.counter),
    beyond: fc.record({ max: stampArb, count: fc.nat(), sum1: sumArb, sum2: sumArb }),
  }),
  bucketedArb,
);

function encode(clock: MapClock): Uint8Array {
  const writer = new ByteWriter(64);
  writeMapClock(writer, clock);
  return writer.finish();
}

const decode = (bytes: Uint8Array) => readAll(bytes, (reader: ByteReader) => readMapClock(reader));

describe('map clock codec', () => {
  it('round-trips clocks, summaries and their buckets within the size it promises', () => {
    fc.assert(
      fc.property(clockArb, (clock) => {
        const bytes = encode(clock);
        expect(bytes.length).toBeLessThanOrEqual(mapClockMaxBytes(clock));
        const decoded = decode(bytes);
        if (!decoded.ok) throw new Error(decoded.error);
        expect(decoded.value).toEqual(clock);
      }),
    );
  });

  it('refuses buckets out of order, at or beyond the newest entry, or counting more than the total', () => {
    const upTo = (wall: number) => ({ wall, counter: 0 });
    const bucket = (wall: number, count: number) => ({ upTo: upTo(wall), count, sum1: 1, sum2: 2 });
    const clock = (buckets: ReturnType<typeof bucket>[], count = 10): MapClock => ({
      wall: 5,
      counter: 0,
      beyond: { max: upTo(100), count, sum1: 3, sum2: 4, buckets },
    });
    expect(decode(encode(clock([bucket(10, 2), bucket(20, 3)]))).ok).toBe(true);
    expect(decode(encode(clock([bucket(20, 2), bucket(10, 3)]))).ok).toBe(false);
    expect(decode(encode(clock([bucket(10, 2), bucket(10, 3)]))).ok).toBe(false);
    expect(decode(encode(clock([bucket(10, 2), bucket(100, 3)]))).ok).toBe(false);
    expect(decode(encode(clock([bucket(10, 6), bucket(20, 5)]))).ok).toBe(false);
    // The bucketed flag with no bucket listed.
    const flagged = encode(clock([bucket(10, 2)]));
    const withoutBuckets = encode({
      wall: 5,
      counter: 0,
      beyond: { max: upTo(100), count: 10, sum1: 3, sum2: 4 },
    });
    const forged = Uint8Array.from([...withoutBuckets, 0]);
    forged[withoutBuckets.length - 9] = (forged[withoutBuckets.length - 9] as number) | 1;
    expect(decode(flagged).ok).toBe(true);
    expect(decode(forged).ok).toBe(false);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(() => decode(bytes)).not.toThrow();
      }),
    );
  });
});
