import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isShoalError } from '../errors/shoal-error.js';
import { ByteReader } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { DEFAULT_MAX_DRIFT_MS, Hlc } from './hlc.js';
import { compareTimestamps, MAX_COUNTER, type Timestamp } from './timestamp.js';
import { readTimestamp, writeTimestamp } from './timestamp-codec.js';

const T0 = Date.UTC(2026, 0, 1);

describe('Hlc', () => {
  it('follows the wall clock when it advances', () => {
    let wall = T0;
    const hlc = new Hlc({ wallClock: () => wall });
    expect(hlc.now()).toEqual({ wall: T0, counter: 0 });
    expect(hlc.now()).toEqual({ wall: T0, counter: 1 });
    wall += 5;
    expect(hlc.now()).toEqual({ wall: T0 + 5, counter: 0 });
  });

  it('never goes backwards when the wall clock jumps back', () => {
    let wall = T0 + 1000;
    const hlc = new Hlc({ wallClock: () => wall });
    const before = hlc.now();
    wall = T0;
    const after = hlc.now();
    expect(compareTimestamps(after, before)).toBeGreaterThan(0);
    expect(after.wall).toBe(before.wall);
  });

  it('moves the logical wall forward instead of overflowing the counter', () => {
    const hlc = new Hlc({ wallClock: () => T0, last: { wall: T0, counter: MAX_COUNTER - 1 } });
    expect(hlc.now()).toEqual({ wall: T0, counter: MAX_COUNTER });
    expect(hlc.now()).toEqual({ wall: T0 + 1, counter: 0 });
  });

  it('orders after a received remote stamp', () => {
    const hlc = new Hlc({ wallClock: () => T0 });
    const received = hlc.receive({ wall: T0 + 10, counter: 7 });
    expect(received).toEqual({ wall: T0 + 10, counter: 8 });
    expect(compareTimestamps(hlc.now(), received)).toBeGreaterThan(0);
  });

  it('refuses a stamp beyond maxDrift and leaves the clock untouched', () => {
    const hlc = new Hlc({ wallClock: () => T0 });
    const before = hlc.now();
    let error: unknown;
    try {
      hlc.receive({ wall: T0 + DEFAULT_MAX_DRIFT_MS + 1, counter: 0 });
    } catch (caught) {
      error = caught;
    }
    expect(isShoalError(error, ErrorCode.ClockDrift)).toBe(true);
    expect(hlc.last).toEqual(before);
    expect(() => hlc.receive({ wall: T0 + DEFAULT_MAX_DRIFT_MS, counter: 0 })).not.toThrow();
  });

  it('rejects malformed remote stamps', () => {
    const hlc = new Hlc({ wallClock: () => T0 });
    for (const bad of [
      { wall: -1, counter: 0 },
      { wall: 1.5, counter: 0 },
      { wall: 0, counter: MAX_COUNTER + 1 },
    ]) {
      expect(() => hlc.receive(bad)).toThrowError(
        expect.objectContaining({ code: ErrorCode.InvalidArgument }),
      );
    }
  });

  it('reads the wall clock once for all the stamps of one step, and again after it', () => {
    let wall = T0;
    let reads = 0;
    const hlc = new Hlc({
      wallClock: () => {
        reads++;
        return wall;
      },
    });
    const stamps = hlc.inOneReading(() =>
      Array.from({ length: 5 }, () => {
        wall += 10;
        // A nested step keeps the outer reading.
        return hlc.inOneReading(() => hlc.now());
      }),
    );
    expect(reads).toBe(1);
    expect(stamps.map((stamp) => stamp.wall)).toEqual([T0, T0, T0, T0, T0]);
    expect(stamps.map((stamp) => stamp.counter)).toEqual([0, 1, 2, 3, 4]);
    expect(hlc.now()).toEqual({ wall: T0 + 50, counter: 0 });
    expect(reads).toBe(2);
  });

  it('is strictly monotonic under random local (now or advance), remote and skewed inputs', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('local' as const),
        advance: fc.integer({ min: -5000, max: 5000 }),
        // `advance()` steps the clock as `now()` does, without the object.
        bare: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant('remote' as const),
        advance: fc.integer({ min: -5000, max: 5000 }),
        offset: fc.integer({ min: -120_000, max: 120_000 }),
        counter: fc.integer({ min: 0, max: MAX_COUNTER }),
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        let wall = T0;
        const hlc = new Hlc({ wallClock: () => wall });
        let previous: Timestamp = hlc.now();
        for (const s of steps) {
          wall += s.advance;
          let next: Timestamp;
          if (s.kind === 'local') {
            if (s.bare) {
              hlc.advance();
              next = { wall: hlc.wall, counter: hlc.counter };
            } else next = hlc.now();
            expect(hlc.last).toEqual(next);
          } else {
            const remote = { wall: Math.max(0, wall + s.offset), counter: s.counter };
            try {
              next = hlc.receive(remote);
              expect(compareTimestamps(next, remote)).toBeGreaterThan(0);
            } catch (error) {
              expect(isShoalError(error, ErrorCode.ClockDrift)).toBe(true);
              expect(hlc.last).toEqual(previous);
              continue;
            }
          }
          expect(compareTimestamps(next, previous)).toBeGreaterThan(0);
          previous = next;
        }
      }),
    );
  });

  it('encodes compactly and round-trips', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.integer({ min: 0, max: MAX_COUNTER }),
        (wall, counter) => {
          const writer = new ByteWriter();
          writeTimestamp(writer, { wall, counter });
          const bytes = writer.finish();
          expect(readTimestamp(new ByteReader(bytes))).toEqual({ wall, counter });
          expect(bytes.length).toBeLessThanOrEqual(10);
        },
      ),
    );
  });
});
