import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import { type MapEntry, mapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { WriterIndex } from './writer-index.js';

const writers = ['a', 'b', 'c'] as NodeId[];

/** Distinct versions per writer, in any order: how a load in key order or a peer delivers them. */
const entriesArb = fc
  .uniqueArray(
    fc.record({
      writer: fc.constantFrom(...writers),
      wall: fc.integer({ min: 0, max: 50 }),
      counter: fc.integer({ min: 0, max: 3 }),
    }),
    { selector: ({ writer, wall, counter }) => `${writer}/${wall}/${counter}`, maxLength: 200 },
  )
  .map((versions) =>
    versions.map(({ writer, wall, counter }, i) => mapEntry(`k${i}`, i, wall, counter, writer)),
  );

const stampArb: fc.Arbitrary<Timestamp | undefined> = fc.option(
  fc.record({ wall: fc.integer({ min: -1, max: 51 }), counter: fc.integer({ min: 0, max: 3 }) }),
  { nil: undefined },
);

describe('WriterIndex', () => {
  it('answers newerThan with exactly the live entries after the stamp, in version order, whatever the order they were added in', () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.tuple(fc.constantFrom(...writers), stampArb), { minLength: 1, maxLength: 6 }),
        (entries, deadPicks, queries) => {
          const dead = new Set<MapEntry>(deadPicks.map((i) => entries[i % Math.max(1, entries.length)]!));
          const index = new WriterIndex((entry) => !dead.has(entry));
          // Reads interleave with adds: a list sorted by one read must take later adds too.
          const half = entries.length >> 1;
          for (const entry of entries.slice(0, half)) index.add(entry);
          const [firstWriter, firstStamp] = queries[0]!;
          [...index.newerThan(firstWriter, firstStamp)];
          for (const entry of entries.slice(half)) index.add(entry);
          for (const entry of dead) if (entry !== undefined) index.removed(entry);
          for (const [writer, after] of queries) {
            const expected = entries
              .filter((e) => e.writer === writer && !dead.has(e))
              .filter((e) => after === undefined || compareTimestamps(e, after) > 0)
              .sort(compareTimestamps);
            expect([...index.newerThan(writer, after)]).toEqual(expected);
          }
        },
      ),
    );
  });
});
