import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveryOrderArb, streamEntriesArb } from '../test-support/crdt-arbitraries.js';
import { compareStreamEntries, EventLog, type Materializer, type StreamEntry } from './event-log.js';

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

  it('keeps materialized state equal to a fold over getAll()', () => {
    fc.assert(
      fc.property(
        streamEntriesArb.chain((entries) => fc.tuple(fc.constant(entries), deliveryOrderArb(entries))),
        ([, delivery]) => {
          const log = new EventLog();
          const view = log.materialize(digest);
          for (const entry of delivery) log.apply(entry);
          expect(view.state).toEqual(log.getAll().reduce(digest.fold, digest.initial()));
        },
      ),
    );
  });
});
