import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveryOrderArb, streamEntriesArb } from '../test-support/crdt-arbitraries.js';
import { compareStreamEntries, EventLog, type Materializer, type StreamEntry } from './event-log.js';
import { EMPTY_CHAIN } from './stream-chain.js';

function build(...batches: StreamEntry[][]): EventLog {
  const log = new EventLog();
  for (const batch of batches) for (const entry of batch) log.apply(entry);
  return log;
}

const digest: Materializer<string[]> = {
  initial: () => [],
  fold: (state, entry) => [...state, `${entry.author}:${entry.seq}`],
};

describe('EventLog merge', () => {
  it('shows every entry exactly once, in the same total order, for any delivery order with duplicates', () => {
    fc.assert(
      fc.property(
        streamEntriesArb.chain((entries) => fc.tuple(fc.constant(entries), deliveryOrderArb(entries))),
        ([entries, delivery]) => {
          const log = build(delivery);
          const expected = entries.slice().sort(compareStreamEntries);
          expect(log.getAll()).toEqual(expected);
          expect(log.held).toBe(0);
        },
      ),
    );
  });

  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(
        streamEntriesArb.chain((entries) =>
          fc.tuple(fc.subarray(entries), fc.subarray(entries), fc.subarray(entries)),
        ),
        ([a, b, c]) => {
          const abc = build(a, b, c).getAll();
          expect(build(c, b, a).getAll()).toEqual(abc);
          expect(build(b, a, c, a, b).getAll()).toEqual(abc);
          expect(build(a, a).getAll()).toEqual(build(a).getAll());
        },
      ),
    );
  });

  it('never shows an entry before its author’s earlier entries', () => {
    fc.assert(
      fc.property(
        streamEntriesArb.chain((entries) => fc.subarray(entries)),
        (subset) => {
          const log = build(subset);
          for (const author of log.authors()) {
            const seqs = log
              .getAll()
              .filter((e) => e.author === author)
              .map((e) => e.seq)
              .sort((x, y) => x - y);
            expect(seqs).toEqual(seqs.map((_, index) => index + 1));
          }
        },
      ),
    );
  });

  it('keeps materialized state equal to a fold over getAll(), whenever it is read', () => {
    fc.assert(
      fc.property(
        streamEntriesArb.chain((entries) => fc.tuple(fc.constant(entries), deliveryOrderArb(entries))),
        fc.array(fc.boolean(), { maxLength: 64 }),
        ([, delivery], reads) => {
          const log = new EventLog();
          const view = log.materialize(digest);
          // Reads between applies: a view brought up to date must then take entries in order
          // incrementally, and refold after one lands out of order.
          delivery.forEach((entry, i) => {
            log.apply(entry);
            if (reads[i % Math.max(1, reads.length)] === true) {
              expect(view.state).toEqual(log.getAll().reduce(digest.fold, digest.initial()));
            }
          });
          expect(view.state).toEqual(log.getAll().reduce(digest.fold, digest.initial()));
          expect(log.getAll()).toEqual(log.getAll().slice().sort(compareStreamEntries));
        },
      ),
    );
  });

  it('resolves entries that share an (author, seq) the same way whatever arrives first', () => {
    // Rivals: the same (author, seq) with another stamp or payload, as a forger or an
    // equivocating writer makes them. Every replica must show the same entries, the same order
    // and the same fingerprints, whichever copy each one saw first.
    const withRivalsArb = streamEntriesArb
      .filter((entries) => entries.length > 0)
      .chain((entries) =>
        fc.tuple(
          fc.constant(entries),
          fc.array(
            fc.record({
              index: fc.nat({ max: entries.length - 1 }),
              wallShift: fc.integer({ min: -2, max: 2 }),
              payload: fc.uint8Array({ maxLength: 3 }),
            }),
            { minLength: 1, maxLength: 4 },
          ),
        ),
      )
      .map(([entries, rivals]) => [
        ...entries,
        ...rivals.map(({ index, wallShift, payload }) => {
          const original = entries[index] as StreamEntry;
          return { ...original, wall: Math.max(0, original.wall + wallShift), payload };
        }),
      ])
      .chain((all) => fc.tuple(fc.constant(all), deliveryOrderArb(all), deliveryOrderArb(all)));
    fc.assert(
      fc.property(withRivalsArb, ([all, first, second]) => {
        const a = build(first);
        const b = new EventLog();
        // A view that watched every entry, rivals replaced included.
        const watching = b.materialize(digest);
        for (const entry of second) b.apply(entry);
        expect(watching.state).toEqual(b.getAll().reduce(digest.fold, digest.initial()));
        const view = a.materialize(digest);
        expect(b.getAll()).toEqual(a.getAll());
        expect(view.state).toEqual(a.getAll().reduce(digest.fold, digest.initial()));
        for (const author of a.authors()) {
          const seq = a.seqOf(author);
          expect(b.seqOf(author)).toBe(seq);
          expect(b.chainAt(author, seq)).toEqual(a.chainAt(author, seq));
          expect(a.chainAt(author, seq)).not.toEqual(EMPTY_CHAIN);
        }
        // Every (author, seq) shows once, and as one of its candidates.
        const ids = a.getAll().map((entry) => `${entry.author}:${entry.seq}`);
        expect(new Set(ids).size).toBe(ids.length);
        for (const entry of a.getAll()) expect(all).toContainEqual(entry);
      }),
    );
  });

  it('gives two logs the same fingerprint exactly when they hold the same entries', () => {
    fc.assert(
      fc.property(
        streamEntriesArb.filter((entries) => entries.length > 0),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 3 }),
        (entries, pick, extra) => {
          const target = entries[pick % entries.length] as StreamEntry;
          const forged = { ...target, payload: Uint8Array.from([...target.payload, ...extra]) };
          const honest = build(entries);
          const split = build(
            [forged],
            entries.filter((entry) => entry !== target),
          );
          const seq = honest.seqOf(target.author);
          expect(split.seqOf(target.author)).toBe(seq);
          expect(build(entries.slice().reverse()).chainAt(target.author, seq)).toEqual(
            honest.chainAt(target.author, seq),
          );
          expect(split.chainAt(target.author, seq)).not.toEqual(honest.chainAt(target.author, seq));
        },
      ),
    );
  });

  it('rewrites an author from a seq on into the log a fresh replica of the result would be', () => {
    fc.assert(
      fc.property(
        streamEntriesArb.filter((entries) => entries.length > 0),
        fc.nat(),
        fc.nat(),
        fc.array(fc.uint8Array({ maxLength: 3 }), { maxLength: 4 }),
        (entries, pick, back, extra) => {
          const log = build(entries);
          const view = log.materialize(digest);
          void view.state;
          const author = (entries[pick % entries.length] as StreamEntry).author;
          const held = log.seqOf(author);
          const from = held - (back % held);
          // The author's entries from `from` on, in another order, then some new ones after.
          const moved = log
            .entriesAfter(author, from - 1)
            .slice()
            .reverse();
          const payloads = [...moved.map((entry) => entry.payload), ...extra];
          const rewritten = payloads.map((payload, i) => ({
            author,
            seq: from + i,
            wall: 2_000_000_000_000 + i,
            counter: 0,
            payload,
          }));
          const seen: Array<[StreamEntry, StreamEntry | undefined]> = [];
          log.onEntry((entry, replaced) => seen.push([entry, replaced]));
          log.rewrite(author, from, rewritten);
          const expected = build(
            entries.filter((entry) => entry.author !== author || entry.seq < from),
            rewritten,
          );
          expect(log.getAll()).toEqual(expected.getAll());
          expect(log.seqOf(author)).toBe(from + rewritten.length - 1);
          expect(log.chainHash(author)).toEqual(expected.chainHash(author));
          for (let seq = 1; seq <= log.seqOf(author); seq++)
            expect(log.chainAt(author, seq)).toEqual(expected.chainAt(author, seq));
          expect(view.state).toEqual(expected.getAll().map((entry) => `${entry.author}:${entry.seq}`));
          expect(seen.map(([entry]) => entry)).toEqual(rewritten);
          expect(seen.filter(([, replaced]) => replaced !== undefined)).toHaveLength(held - from + 1);
        },
      ),
    );
  });

  it('refuses a rewrite that would leave a gap or drop entries', () => {
    const author = 'a' as StreamEntry['author'];
    const entry = (seq: number) => ({ author, seq, wall: seq, counter: 0, payload: Uint8Array.of(seq) });
    const log = build([entry(1), entry(2), entry(3)]);
    expect(() => log.rewrite(author, 2, [entry(2)])).toThrow(RangeError);
    expect(() => log.rewrite(author, 5, [entry(5)])).toThrow(RangeError);
    expect(log.seqOf(author)).toBe(3);
  });
});
