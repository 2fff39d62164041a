import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTimestamps, compareVersions } from '../clock/timestamp.js';
import type { StreamEntry } from '../crdt/event-log.js';
import { type MapEntry, mapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { decodeDelta, encodeDelta } from '../protocol/sync-codec.js';
import type { MapDelta, StreamDelta } from '../protocol/sync-messages.js';
import { signedStream } from '../test-support/signed-stream.js';
import { appendAll } from './append-all.js';
import { DeltaChunker } from './delta-chunker.js';
import { MapReplica } from './map-replica.js';
import { StreamReplica } from './stream-replica.js';

const writerArb = fc.constantFrom('alice', 'bob', '0123456789abcdef0123456789abcdef') as fc.Arbitrary<NodeId>;
const entryArb: fc.Arbitrary<MapEntry> = fc
  .record({
    key: fc.string({ maxLength: 20 }),
    value: fc.option(
      fc.oneof(fc.string({ maxLength: 60 }), fc.integer(), fc.uint8Array({ maxLength: 200 })),
      {
        nil: undefined,
      },
    ),
    wall: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
    counter: fc.integer({ min: 0, max: 300 }),
    writer: writerArb,
  })
  .map((e) => mapEntry(e.key, e.value, e.wall, e.counter, e.writer));

describe('DeltaChunker', () => {
  it('keeps every chunk within budget, loses no entry, and chains claims so a receiver catches up', () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 120 }),
        fc.integer({ min: 400, max: 1500 }),
        (entries, budget) => {
          const source = new MapReplica();
          for (const entry of entries) {
            source.map.apply(entry);
            source.raiseClock(entry.writer, entry);
          }
          const plan = source.planDelta(new Map(), '', null);
          const chunker = new DeltaChunker('channel', budget, false);
          chunker.add({ kind: 'map', name: 'settings', ...plan });
          const messages = chunker.finish();
          expect(chunker.oversized).toBe(0);
          const target = new MapReplica();
          messages.forEach((message, index) => {
            const bytes = encodeDelta(message);
            expect(bytes.length).toBeLessThanOrEqual(budget);
            const decoded = decodeDelta(bytes);
            if (!decoded.ok) throw new Error(decoded.error);
            expect(decoded.value.final).toBe(index === messages.length - 1);
            for (const object of decoded.value.objects as MapDelta[]) {
              target.map.merge(object.entries);
              for (const claim of object.claims) expect(target.acceptClaim(claim) || true).toBe(true);
            }
          });
          const sorted = (replica: MapReplica) => [...replica.map.allEntries()].sort(compareVersions);
          expect(sorted(target)).toEqual(sorted(source));
          expect(target.clocks()).toEqual(source.clocks());
        },
      ),
    );
  });

  it('never lets a claim vouch for an entry the receiver lacks, whatever chunks are lost', () => {
    // The receiver already holds some entries (some beyond its clocks), so some writers need a
    // claim and no entries: the soak found such a claim flushed into a later chunk than another
    // writer's entries, carrying that writer's claim along, which vouched for entries in a
    // chunk that was then lost.
    const writerArb = fc.record({
      count: fc.integer({ min: 0, max: 40 }),
      valueBytes: fc.integer({ min: 0, max: 80 }),
      upTo: fc.nat(),
      holds: fc.constantFrom('none', 'all', 'some'),
      held: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    });
    fc.assert(
      fc.property(
        fc.array(writerArb, { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 150, max: 1200 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        (writers, budget, delivered) => {
          const source = new MapReplica();
          const target = new MapReplica();
          writers.forEach((state, w) => {
            const writer = ['0123456789abcdef0123456789abcdef', 'alice', 'bob'][w] as NodeId;
            const upTo = state.upTo % (state.count + 1);
            for (let i = 0; i < state.count; i++) {
              const entry = mapEntry(
                `${writer}/${i}`,
                'v'.repeat(state.valueBytes),
                1_700_000_000_000 + i * 7 + w,
                0,
                writer,
              );
              source.map.apply(entry);
              source.raiseClock(writer, entry);
              // Up to its clock the receiver holds everything; beyond it nothing, all (a writer
              // that needs only a claim) or some.
              const beyond = state.holds === 'all' || (state.holds === 'some' && state.held[i]);
              if (i < upTo || beyond) target.map.apply(entry);
              if (i === upTo - 1) target.raiseClock(writer, entry);
            }
          });
          const plan = source.planDelta(new Map(target.clocks()), '', null);
          const chunker = new DeltaChunker('channel', budget, false);
          chunker.add({ kind: 'map', name: 'settings', ...plan });
          const messages = chunker.finish();
          // A claim travels with every entry it vouches for: the entries of its writer between
          // its ends are all in its own chunk.
          for (const message of messages) {
            for (const object of message.objects) {
              if (object.kind !== 'map') continue;
              const here = new Set(object.entries.map(({ entry }) => entry));
              for (const claim of object.claims) {
                const elsewhere = plan.entries.filter(
                  (entry) =>
                    entry.writer === claim.writer &&
                    compareTimestamps(entry, claim.from) > 0 &&
                    compareTimestamps(entry, claim.to) <= 0 &&
                    !here.has(entry),
                );
                expect(elsewhere).toEqual([]);
              }
            }
          }
          // Lose some chunks; the rest arrive in order (the order in which claims chain).
          for (const message of messages.filter((_, index) => delivered[index % delivered.length])) {
            const decoded = decodeDelta(encodeDelta(message));
            if (!decoded.ok) throw new Error(decoded.error);
            for (const object of decoded.value.objects as MapDelta[]) {
              target.map.merge(object.entries);
              for (const claim of object.claims) target.acceptClaim(claim);
            }
          }
          for (const entry of source.map.allEntries()) {
            if (compareTimestamps(entry, target.clockOf(entry.writer)) > 0) continue;
            expect(target.map.entry(entry.key), `${entry.writer} vouched past ${entry.key}`).toEqual(entry);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does not advance a clock past a lost chunk', () => {
    const source = new MapReplica();
    const writer = 'alice' as NodeId;
    for (let i = 0; i < 200; i++) {
      const entry = mapEntry(`key-${i}`, 'x'.repeat(30), 1000 + i, 0, writer);
      source.map.apply(entry);
      source.raiseClock(writer, entry);
    }
    const chunker = new DeltaChunker('c', 600, false);
    chunker.add({ kind: 'map', name: 'm', ...source.planDelta(new Map(), '', null) });
    const messages = chunker.finish().map((message) => decodeDelta(encodeDelta(message)));
    expect(messages.length).toBeGreaterThan(2);
    const target = new MapReplica();
    messages.forEach((decoded, index) => {
      if (index === 1 || !decoded.ok) return; // chunk 1 is lost
      for (const object of decoded.value.objects as MapDelta[]) {
        target.map.merge(object.entries);
        for (const claim of object.claims) target.acceptClaim(claim);
      }
    });
    const first = messages[0];
    if (!first?.ok) throw new Error('first chunk did not decode');
    const firstChunkLast = (first.value.objects[0] as MapDelta).entries.at(-1);
    expect(target.clockOf(writer)).toEqual({ wall: firstChunkLast?.wall, counter: 0 });
    expect(target.map.size).toBeLessThan(200);
  });

  it('splits stream entries into useful chunks', () => {
    const author = 'bob' as NodeId;
    const written: StreamEntry[] = [];
    for (let seq = 1; seq <= 100; seq++) {
      written.push({ author, seq, wall: 5000 + seq, counter: 0, payload: new Uint8Array(40).fill(seq) });
    }
    // The author's proofs (one at its last entry) travel with the chunk that carries it.
    const entries = signedStream('s', written, new Uint8Array(32).fill(3));
    const chunker = new DeltaChunker('c', 500, false);
    chunker.add({ kind: 'stream', name: 's', claims: [], entries });
    const received: StreamEntry[] = [];
    for (const message of chunker.finish()) {
      const bytes = encodeDelta(message);
      expect(bytes.length).toBeLessThanOrEqual(500);
      const decoded = decodeDelta(bytes);
      if (!decoded.ok) throw new Error(decoded.error);
      for (const object of decoded.value.objects as StreamDelta[]) appendAll(received, object.entries);
    }
    expect(received).toEqual(entries);
  });

  it('stopped at k chunks, gives the first k chunks of the whole delta, and says whether it left some out', () => {
    const streamEntryArb = fc.uint8Array({ maxLength: 120 });
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 80 }),
        fc.array(streamEntryArb, { maxLength: 40 }),
        fc.integer({ min: 300, max: 900 }),
        fc.integer({ min: 1, max: 6 }),
        (entries, payloads, budget, k) => {
          const source = new MapReplica();
          for (const entry of entries) {
            source.map.apply(entry);
            source.raiseClock(entry.writer, entry);
          }
          const stream = new StreamReplica();
          payloads.forEach((payload, i) => {
            stream.log.apply({ author: 'bob' as NodeId, seq: i + 1, wall: 5000 + i, counter: 0, payload });
          });
          const plans = [
            { kind: 'map' as const, name: 'm', ...source.planDelta(new Map(), '', null) },
            {
              kind: 'stream' as const,
              name: 's',
              claims: [],
              entries: stream.planDelta(new Map(), '', null),
            },
          ];
          const chunkWith = (chunker: DeltaChunker) => {
            for (const plan of plans) chunker.add(plan);
            return chunker.finish().map((message) => encodeDelta({ ...message, final: false }));
          };
          const whole = chunkWith(new DeltaChunker('c', budget, false));
          const capped = new DeltaChunker('c', budget, false, k);
          const prefix = chunkWith(capped);
          expect(capped.complete).toBe(whole.length <= k);
          expect(prefix).toEqual(whole.slice(0, capped.complete ? whole.length : k));
        },
      ),
    );
  });
});
