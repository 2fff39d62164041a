import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTimestamps } from '../clock/timestamp.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import type { MapClock } from '../protocol/sync-messages.js';
import { HeldBeyondSum, mayHoldUnseen, summarizeHeldBeyond, unmatchedSpan } from './held-beyond.js';

const writer = 'w' as NodeId;
const entry = (key: string, wall: number) => ({ key, value: 1, wall, counter: 0, writer });

function clock(wall: number, ...beyond: ReturnType<typeof entry>[]): MapClock {
  const sum = new HeldBeyondSum();
  for (const e of beyond) sum.add(e);
  const summary = sum.summary();
  return summary === undefined ? { wall, counter: 0 } : { wall, counter: 0, beyond: summary };
}

describe('mayHoldUnseen', () => {
  it('is false without entries beyond our clock', () => {
    expect(mayHoldUnseen(clock(10), { wall: 10, counter: 0 }, clock(10))).toBe(false);
    expect(mayHoldUnseen(clock(10, entry('a', 12)), { wall: 12, counter: 0 }, undefined)).toBe(false);
  });

  it('is true when the peer holds a pushed entry beyond a clock equal to ours that we lack', () => {
    // The case of issue 20: a write that reached the peer by push moved no clock.
    expect(mayHoldUnseen(clock(10, entry('a', 12)), { wall: 10, counter: 0 }, clock(10))).toBe(true);
    expect(
      mayHoldUnseen(
        clock(10, entry('a', 12), entry('b', 13)),
        { wall: 10, counter: 0 },
        clock(10, entry('a', 12)),
      ),
    ).toBe(true);
  });

  it('is false when both sides hold the same entries beyond the same clock', () => {
    const same = clock(10, entry('a', 12), entry('b', 13));
    expect(mayHoldUnseen(same, { wall: 10, counter: 0 }, clock(10, entry('b', 13), entry('a', 12)))).toBe(
      false,
    );
  });

  it('assumes it may when the clocks differ (the exchange settles it)', () => {
    expect(mayHoldUnseen(clock(10, entry('a', 14)), { wall: 12, counter: 0 }, clock(12))).toBe(true);
  });
});

describe('summarizeHeldBeyond and unmatchedSpan', () => {
  // One writer's entries: distinct keys, versions from few walls so some repeat (a faulty writer).
  const entriesArb = fc
    .uniqueArray(
      fc.record({
        key: fc.integer({ min: 0, max: 5000 }),
        wall: fc.integer({ min: 1, max: 400 }),
        counter: fc.nat(3),
      }),
      { selector: (e) => e.key, maxLength: 700 },
    )
    .map((list) =>
      list.map((e): MapEntry => ({ key: `k${e.key}`, value: 1, wall: e.wall, counter: e.counter, writer })),
    );

  it('always returns every entry of ours the peer lacks, and nothing when it holds exactly ours', () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.array(fc.boolean(), { minLength: 700, maxLength: 700 }),
        fc.nat(30),
        (ours, held, extra) => {
          // The peer holds some of ours, and a few entries we lack (same writer, other keys).
          const theirs = ours.filter((_, i) => held[i]);
          for (let i = 0; i < extra; i++)
            theirs.push({ key: `x${i}`, value: 1, wall: 1 + ((i * 37) % 400), counter: 0, writer });
          const summary = summarizeHeldBeyond(theirs);
          if (summary === undefined) return;
          const span = ours.filter((e) => compareTimestamps(e, summary.max) <= 0).sort(compareTimestamps);
          const sent = new Set(unmatchedSpan(span, summary));
          for (const e of span) if (!theirs.includes(e)) expect(sent.has(e)).toBe(true);
          const same = summarizeHeldBeyond(span);
          if (same !== undefined) expect(unmatchedSpan(span, same)).toEqual([]);
        },
      ),
    );
  });

  it('sums many entries in strictly ascending buckets below the newest, whose counts add up', () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const summary = summarizeHeldBeyond(entries);
        if (summary === undefined) {
          expect(entries).toEqual([]);
          return;
        }
        // The totals are those of one sum over every entry, whatever the buckets.
        const plain = new HeldBeyondSum();
        for (const entry of entries) plain.add(entry);
        const { buckets: _, ...totals } = summary;
        expect(totals).toEqual(plain.summary());
        const buckets = summary.buckets ?? [];
        if (entries.length <= 32) expect(buckets).toEqual([]);
        buckets.forEach((bucket, i) => {
          expect(compareTimestamps(bucket.upTo, summary.max)).toBeLessThan(0);
          if (i > 0)
            expect(compareTimestamps(bucket.upTo, (buckets[i - 1] as typeof bucket).upTo)).toBeGreaterThan(0);
        });
        expect(buckets.reduce((n, bucket) => n + bucket.count, 0)).toBeLessThanOrEqual(entries.length);
      }),
    );
  });
});
