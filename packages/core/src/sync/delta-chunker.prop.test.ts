import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEntry } from '../crdt/event-log.js';
import { type MapEntry, mapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { decodeDelta, encodeDelta } from '../protocol/sync-codec.js';
import type { MapDelta, MapGhost, MapProof, StreamDelta } from '../protocol/sync-messages.js';
import { signedStream } from '../test-support/signed-stream.js';
import { appendAll } from './append-all.js';
import { DeltaChunker, type ObjectPlan } from './delta-chunker.js';
import { StreamReplica } from './stream-replica.js';

const writerArb = fc.constantFrom('alice', 'bob', '0123456789abcdef0123456789abcdef') as fc.Arbitrary<NodeId>;
const wallArb = fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 });

/** An entry of `writer`: a proof covers only its own writer's items (ADR 0058). */
const entryArb = (writer: NodeId): fc.Arbitrary<MapEntry> =>
  fc
    .record({
      key: fc.string({ maxLength: 20 }),
      value: fc.option(
        fc.oneof(fc.string({ maxLength: 60 }), fc.integer(), fc.uint8Array({ maxLength: 200 })),
        { nil: undefined },
      ),
      wall: wallArb,
      counter: fc.integer({ min: 0, max: 300 }),
    })
    .map((e) => mapEntry(e.key, e.value, e.wall, e.counter, writer));

/** A write of `writer` another entry replaced, naming that entry (of any writer) or not. */
const ghostArb = (writer: NodeId): fc.Arbitrary<MapGhost> =>
  fc.record({
    key: fc.string({ maxLength: 20 }),
    writer: fc.constant(writer),
    wall: wallArb,
    counter: fc.integer({ min: 0, max: 300 }),
    digest: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    by: fc.option(fc.record({ wall: wallArb, counter: fc.nat(300), writer: writerArb }), { nil: undefined }),
  });

const signed = {
  version: { wall: 1_700_000_200_000, counter: 0 },
  signature: new Uint8Array(64).fill(1),
  publicKey: new Uint8Array(32).fill(2),
};

type Group = { proof: MapProof; entries: MapEntry[]; ghosts: MapGhost[] };

/**
 * A proof of each kind (ADR 0058) with the entries and ghosts it covers (a cut covers none).
 * Up to 12 entries of up to 200 bytes, or a cut of up to 40 nodes, can outgrow a small budget:
 * such a proof must travel alone.
 */
const groupArb: fc.Arbitrary<Group> = writerArb.chain((writer) =>
  fc.oneof(
    fc
      .record({
        from: fc.record({ wall: fc.constantFrom(0, 1_700_000_000_000), counter: fc.nat(300) }),
        entries: fc.array(entryArb(writer), { maxLength: 12 }),
        ghosts: fc.array(ghostArb(writer), { maxLength: 4 }),
      })
      .map(({ from, entries, ghosts }) => ({
        proof: {
          kind: 'whole',
          writer,
          from,
          signed,
          entries: entries.length,
          ghosts: ghosts.length,
        } as MapProof,
        entries,
        ghosts,
      })),
    fc.integer({ min: 1, max: 40 }).map((nodes) => ({
      proof: {
        kind: 'cut',
        writer,
        signed,
        nodes: Array.from({ length: nodes }, (_, index) => ({
          at: { depth: 2, index },
          hash: new Uint8Array(32).fill(index),
        })),
      } as MapProof,
      entries: [] as MapEntry[],
      ghosts: [] as MapGhost[],
    })),
    fc
      .record({
        at: fc.oneof(
          fc.record({ depth: fc.constant(1), index: fc.nat(15) }),
          fc.record({ depth: fc.constant(3), index: fc.nat(4095) }),
        ),
        entries: fc.array(entryArb(writer), { maxLength: 12 }),
        ghosts: fc.array(ghostArb(writer), { maxLength: 4 }),
      })
      .map(({ at, entries, ghosts }) => ({
        proof: {
          kind: 'slice',
          writer,
          version: signed.version,
          at,
          entries: entries.length,
          ghosts: ghosts.length,
        } as MapProof,
        entries,
        ghosts,
      })),
  ),
);

function planOf(name: string, groups: readonly Group[]): Extract<ObjectPlan, { kind: 'map' }> {
  return {
    kind: 'map',
    name,
    proofs: groups.map((group) => group.proof),
    entries: groups.flatMap((group) => group.entries),
    ghosts: groups.flatMap((group) => group.ghosts),
  };
}

/**
 * A decoded map delta's proofs, each with the entries and ghosts it covers, as a receiver reads
 * them; none may be left over, as the chunker never sends an entry without its proof.
 */
function groupsOf(delta: MapDelta): Group[] {
  let entry = 0;
  let ghost = 0;
  const groups = delta.proofs.map((proof) => {
    const entries = proof.kind === 'cut' ? 0 : proof.entries;
    const ghosts = proof.kind === 'cut' ? 0 : proof.ghosts;
    const group = {
      proof,
      entries: delta.entries.slice(entry, entry + entries),
      ghosts: delta.ghosts.slice(ghost, ghost + ghosts),
    };
    entry += entries;
    ghost += ghosts;
    return group;
  });
  expect([entry, ghost]).toEqual([delta.entries.length, delta.ghosts.length]);
  return groups;
}

describe('DeltaChunker', () => {
  it('keeps every chunk within budget, loses and repeats nothing, and puts each proof in one chunk with exactly what it covers', () => {
    fc.assert(
      fc.property(
        fc.array(groupArb, { maxLength: 12 }),
        fc.array(groupArb, { maxLength: 4 }),
        fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 40 }),
        fc.integer({ min: 300, max: 3000 }),
        (groups, others, payloads, budget) => {
          // Two maps and a stream between them: each object's header is paid in every chunk
          // it reaches, and a chunk holds several objects.
          const written: StreamEntry[] = payloads.map((payload, i) => ({
            author: 'bob' as NodeId,
            seq: i + 1,
            wall: 5000 + i,
            counter: 0,
            payload,
          }));
          const chunker = new DeltaChunker('c', budget, false);
          chunker.add(planOf('m', groups));
          chunker.add({ kind: 'stream', name: 's', entries: written });
          chunker.add(planOf('n', others));
          const messages = chunker.finish();
          let oversized = 0;
          const received = new Map<string, Group[]>([
            ['m', []],
            ['n', []],
          ]);
          const streamed: StreamEntry[] = [];
          for (const message of messages) {
            const bytes = encodeDelta(message);
            const decoded = decodeDelta(bytes);
            if (!decoded.ok) throw new Error(decoded.error);
            const objects = decoded.value.objects;
            if (bytes.length > budget) {
              // Only a proof larger than a chunk goes over the budget, and alone.
              oversized++;
              expect(objects.map((object) => (object.kind === 'map' ? object.proofs.length : -1))).toEqual([
                1,
              ]);
            }
            for (const object of objects) {
              if (object.kind === 'stream') appendAll(streamed, object.entries);
              else appendAll(received.get(object.name) as Group[], groupsOf(object));
            }
          }
          expect(oversized).toBeLessThanOrEqual(chunker.oversized);
          // Every proof once, in order, with exactly its own entries and ghosts, whole.
          expect(received.get('m')).toEqual(groups);
          expect(received.get('n')).toEqual(others);
          expect(streamed).toEqual(written);
          expect(messages.map((message) => message.final)).toEqual(
            messages.map((_, i) => i === messages.length - 1),
          );
        },
      ),
    );
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
    chunker.add({ kind: 'stream', name: 's', entries });
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
        fc.array(groupArb, { maxLength: 12 }),
        fc.array(streamEntryArb, { maxLength: 40 }),
        fc.integer({ min: 300, max: 900 }),
        fc.integer({ min: 1, max: 6 }),
        (groups, payloads, budget, k) => {
          const stream = new StreamReplica();
          payloads.forEach((payload, i) => {
            stream.log.apply({ author: 'bob' as NodeId, seq: i + 1, wall: 5000 + i, counter: 0, payload });
          });
          const plans: ObjectPlan[] = [
            planOf('m', groups),
            { kind: 'stream', name: 's', entries: stream.planDelta(new Map(), '', null) },
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
