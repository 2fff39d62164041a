import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import type { MapClock } from '../protocol/sync-messages.js';
import { bytesEqual } from '../storage/bytes.js';
import { type Clock, type ClockSet, hashClockSet } from './clock-set.js';
import {
  applyAnswer,
  bucketChanges,
  bucketFingerprints,
  resolveSummary,
  summarize,
  writerBucket,
} from './clock-summary.js';

const writerArb = fc.integer({ min: 0, max: 79 }).map((i) => `w${i}` as NodeId);
const mapClockArb: fc.Arbitrary<MapClock> = fc.record({
  wall: fc.integer({ min: 0, max: 5 }),
  counter: fc.integer({ min: 0, max: 3 }),
});
const clocksArb = fc
  .uniqueArray(fc.tuple(writerArb, mapClockArb), { selector: ([id]) => id, maxLength: 60 })
  .map((entries) => new Map<NodeId, Clock>(entries));

/** A set of up to three maps, some of them possibly absent. */
const setArb: fc.Arbitrary<ClockSet> = fc
  .tuple(fc.option(clocksArb, { nil: undefined }), fc.option(clocksArb, { nil: undefined }), clocksArb)
  .map((maps) => {
    const set: ClockSet = new Map();
    maps.forEach((clocks, i) => {
      if (clocks !== undefined) set.set(`m:${i}`, { kind: 'map', name: `${i}`, clocks });
    });
    return set;
  });

/** Another set, derived from `set` by a few changes: clocks moved, writers added or gone, maps gone. */
function nearArb(set: ClockSet): fc.Arbitrary<ClockSet> {
  const edit = fc.record({
    object: fc.nat(2),
    writer: writerArb,
    clock: fc.option(mapClockArb, { nil: undefined }),
  });
  return fc
    .tuple(fc.array(edit, { maxLength: 4 }), fc.option(fc.nat(2), { nil: undefined }))
    .map(([edits, dropped]) => {
      const near: ClockSet = new Map();
      for (const [id, object] of set) near.set(id, { ...object, clocks: new Map(object.clocks) });
      for (const { object, writer, clock } of edits) {
        const clocks = near.get(`m:${object}`)?.clocks;
        if (clock === undefined) clocks?.delete(writer);
        else clocks?.set(writer, clock);
      }
      if (dropped !== undefined) near.delete(`m:${dropped}`);
      return near;
    });
}

const pairArb = setArb.chain((set) => fc.tuple(fc.constant(set), fc.oneof(nearArb(set), setArb)));

describe('clock summaries (ADR 0047)', () => {
  it('give a bucket the same fingerprint on both sides exactly when its clocks are the same', () => {
    fc.assert(
      fc.property(clocksArb, clocksArb, fc.integer({ min: 0, max: 5 }), (ours, theirs, bits) => {
        const a = bucketFingerprints(ours, bits);
        const b = bucketFingerprints(theirs, bits);
        for (let bucket = 0; bucket < 1 << bits; bucket++) {
          const inBucket = (clocks: Map<NodeId, Clock>) =>
            JSON.stringify(
              [...clocks]
                .filter(([w]) => writerBucket(w, bits) === bucket)
                .sort(([x], [y]) => (x < y ? -1 : 1))
                .map(([w, c]) => [w, 'seq' in c ? c.seq : `${c.wall}.${c.counter}`]),
            );
          const samePrint = bytesEqual(
            a.subarray(4 * bucket, 4 * bucket + 4),
            b.subarray(4 * bucket, 4 * bucket + 4),
          );
          // Modulo a 2^-32 collision, which these few cases never hit.
          expect(samePrint).toBe(inBucket(ours) === inBucket(theirs));
        }
      }),
    );
  });

  it("resolve to the peer's exact set when every bucket matches, else to an answer that rebuilds ours", () => {
    fc.assert(
      fc.property(pairArb, fc.integer({ min: 60, max: 2000 }), ([peer, own], budget) => {
        const summary = summarize('c', peer, budget);
        if (summary === undefined) return;
        const resolution = resolveSummary(own, summary);
        if ('whole' in resolution) {
          expect(bytesEqual(hashClockSet(resolution.whole), hashClockSet(peer))).toBe(true);
          expect(resolution.whole).toEqual(peer);
        } else {
          const rebuilt = applyAnswer(peer, resolution.answer);
          expect(bytesEqual(hashClockSet(rebuilt), hashClockSet(own))).toBe(true);
        }
      }),
    );
  });

  it('describe any set as bucket changes of another, which rebuild it exactly', () => {
    fc.assert(
      fc.property(pairArb, ([base, current]) => {
        const rebuilt = applyAnswer(base, bucketChanges(current, base));
        expect(rebuilt).toEqual(current);
        expect(bytesEqual(hashClockSet(rebuilt), hashClockSet(current))).toBe(true);
      }),
    );
  });

  it('fit the budget, halving the widest bucket count until they do', () => {
    const clocks = new Map<NodeId, Clock>(
      Array.from({ length: 1000 }, (_, i) => [`w${i}` as NodeId, { wall: i, counter: 0 }]),
    );
    const set: ClockSet = new Map([['m:m', { kind: 'map', name: 'm', clocks }]]);
    // 1000 writers: 128 buckets (~8 writers each), 512 bytes of fingerprints.
    expect(summarize('c', set, 2000)?.[0]?.bits).toBe(7);
    expect(summarize('c', set, 300)?.[0]?.bits).toBe(6);
    expect(summarize('c', set, 10)).toBeUndefined();
  });
});
