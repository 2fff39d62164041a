import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_COUNTER, MAX_WALL } from '../clock/timestamp.js';
import { type ByteReader, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { MAX_PARTS_BYTES, mapClockMaxBytes, readMapClock, writeMapClock } from './map-clock-codec.js';
import type { MapClock } from './sync-messages.js';

// The bounds as well: the widest wall and counter take the most bytes `mapClockMaxBytes` allows.
const stampArb = fc.record({
  wall: fc.oneof(fc.integer({ min: 0, max: MAX_WALL }), fc.constantFrom(0, MAX_WALL)),
  counter: fc.oneof(fc.integer({ min: 0, max: MAX_COUNTER }), fc.constantFrom(0, MAX_COUNTER)),
});

/**
 * A bitmap of a catch-up's proven parts: any length up to the deepest cut's, that length itself
 * included (arbitrary lengths seldom reach it), or a depth-1 cut's 2 bytes.
 */
const doneArb = fc.oneof(
  fc.uint8Array({ maxLength: MAX_PARTS_BYTES }),
  fc.uint8Array({ minLength: MAX_PARTS_BYTES, maxLength: MAX_PARTS_BYTES }),
  fc.uint8Array({ minLength: 2, maxLength: 2 }),
);

/** A writer's clock, bare or with a catch-up by slices under way (ADR 0058). */
const clockArb: fc.Arbitrary<MapClock> = fc.oneof(
  stampArb,
  fc
    .record({ clock: stampArb, version: stampArb, done: doneArb })
    .map(({ clock, version, done }) => ({ ...clock, parts: { version, done } })),
);

function encode(clock: MapClock): Uint8Array {
  const writer = new ByteWriter(64);
  writeMapClock(writer, clock);
  return writer.finish();
}

const decode = (bytes: Uint8Array) => readAll(bytes, (reader: ByteReader) => readMapClock(reader));

describe('map clock codec', () => {
  it('round-trips clocks, with and without a catch-up, within the size it promises', () => {
    fc.assert(
      fc.property(clockArb, (clock) => {
        const bytes = encode(clock);
        expect(bytes.length).toBeLessThanOrEqual(mapClockMaxBytes(clock));
        const decoded = decode(bytes);
        if (!decoded.ok) throw new Error(decoded.error);
        expect(decoded.value).toEqual(clock);
        // A bare clock decodes with no `parts` key at all: `toEqual` would let one set to
        // undefined pass, which a reader testing for the key would take for a catch-up.
        expect('parts' in decoded.value).toBe(clock.parts !== undefined);
      }),
    );
  });

  it('refuses a bitmap longer than the deepest cut has nodes, and every truncation', () => {
    const clock = (length: number): MapClock => ({
      wall: 5,
      counter: 1,
      parts: { version: { wall: 9, counter: 0 }, done: new Uint8Array(length) },
    });
    // A bit per node of a depth-3 cut fits; one byte more does not.
    expect(decode(encode(clock(MAX_PARTS_BYTES))).ok).toBe(true);
    expect(decode(encode(clock(MAX_PARTS_BYTES + 1))).ok).toBe(false);
    fc.assert(
      fc.property(clockArb, (clock) => {
        const bytes = encode(clock);
        for (let length = 0; length < bytes.length; length++)
          expect(decode(bytes.subarray(0, length)).ok).toBe(false);
      }),
    );
  });

  it('never throws on arbitrary bytes, and what it accepts from them is within bounds', () => {
    // Mostly a clock with one byte changed (and bytes after it, at times): arbitrary bytes
    // seldom get past the first fields, and seldom decode at all.
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc
        .tuple(
          clockArb,
          fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ maxLength: 16 })),
          fc.nat(),
          fc.nat(255),
        )
        .map(([clock, tail, at, byte]) => {
          const bytes = Uint8Array.of(...encode(clock), ...tail);
          bytes[at % bytes.length] = byte;
          return bytes;
        }),
    );
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        let decoded: ReturnType<typeof decode> | undefined;
        expect(() => {
          decoded = decode(bytes);
        }).not.toThrow();
        if (decoded === undefined || !decoded.ok) return;
        const { wall, counter, parts } = decoded.value;
        expect(wall).toBeLessThanOrEqual(MAX_WALL);
        expect(counter).toBeLessThanOrEqual(MAX_COUNTER);
        if (parts === undefined) return;
        expect(parts.version.wall).toBeLessThanOrEqual(MAX_WALL);
        expect(parts.version.counter).toBeLessThanOrEqual(MAX_COUNTER);
        expect(parts.done.length).toBeLessThanOrEqual(MAX_PARTS_BYTES);
        // Whatever it accepted can be written again (a digest passes clocks on) and reads back.
        const again = decode(encode(decoded.value));
        expect(again.ok && again.value).toEqual(decoded.value);
      }),
      { numRuns: 300 },
    );
  });
});
