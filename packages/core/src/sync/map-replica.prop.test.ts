import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions, type Timestamp } from '../clock/timestamp.js';
import { type MapEntry, mapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { nobleEd25519 } from '../ports/signer.js';
import type { MapClock, MapGhost, MapProof } from '../protocol/sync-messages.js';
import { mapSetMessage } from '../security/map-set-proofs.js';
import { digestOfValue, replicaKeys } from '../test-support/replica-keys.js';
import { type MapDeltaPlan, MapReplica } from './map-replica.js';
import type { SetItem } from './writer-set.js';

const MAP = 'm';
const WRITERS = ['w0', 'w1', 'w2'] as NodeId[];
/** Nodes 0..2 are the writers' own; 3 and 4 relay only. */
const NODES = 5;

const { secrets, check } = replicaKeys(MAP, WRITERS);
const SECRETS = WRITERS.map((writer) => secrets.get(writer) as Uint8Array);
const digestOf = digestOfValue;

type Op =
  | { readonly write: number; readonly step: number; readonly batch: ReadonlyArray<[string, number | null]> }
  | { readonly from: number; readonly to: number; readonly chunk: Chunk };

/** How an answer is cut: whole, one writer's range of a chunked digest, or at an entry limit. */
type Chunk =
  | { readonly kind: 'whole' }
  | { readonly kind: 'range'; readonly writer: number }
  | { readonly kind: 'limit'; readonly limit: number };

const wholeOnly = fc.constant<Chunk>({ kind: 'whole' });
const anyChunk = fc.oneof(
  wholeOnly,
  fc.record({ kind: fc.constant('range' as const), writer: fc.integer({ min: 0, max: WRITERS.length - 1 }) }),
  fc.record({ kind: fc.constant('limit' as const), limit: fc.integer({ min: 1, max: 4 }) }),
);

const opsArb = (chunk: fc.Arbitrary<Chunk>): fc.Arbitrary<Op[]> =>
  fc.array(
    fc.oneof(
      fc.record({
        write: fc.integer({ min: 0, max: WRITERS.length - 1 }),
        // Writers' clocks run apart: a write may lose to one its node has not seen yet.
        step: fc.integer({ min: 1, max: 6 }),
        batch: fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 3 }).map((k) => `k${k}`),
            fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
      }),
      fc.record({
        from: fc.integer({ min: 0, max: NODES - 1 }),
        to: fc.integer({ min: 0, max: NODES - 1 }),
        chunk,
      }),
    ),
    { maxLength: 40, size: 'max' },
  );

/** A small network: each writer's own node, relays, and every write made. */
class Network {
  readonly nodes = Array.from({ length: NODES }, () => new MapReplica());
  readonly walls = WRITERS.map(() => 0);
  readonly writes: MapEntry[] = [];
  readonly liars: NodeId[] = [];
  readonly refused: NodeId[] = [];
  now = 0;

  write(index: number, step: number, batch: ReadonlyArray<[string, number | null]>): void {
    const writer = WRITERS[index] as NodeId;
    const node = this.nodes[index] as MapReplica;
    // The node's clock orders after what it holds, as its HLC does; others' may lag.
    let newest = (this.walls[index] as number) + step;
    for (const held of node.map.allEntries()) newest = Math.max(newest, held.wall + 1);
    const items: SetItem[] = [];
    let version: Timestamp = { wall: 0, counter: 0 };
    for (const [key, value] of batch) {
      const entry = mapEntry(key, value ?? undefined, newest++, 0, writer);
      node.map.apply(entry, true);
      this.writes.push(entry);
      items.push({ key, wall: entry.wall, counter: 0, digest: digestOf(node, entry.value) });
      version = { wall: entry.wall, counter: 0 };
    }
    this.walls[index] = newest;
    const root = node.addOwn(writer, items, version);
    const secret = SECRETS[index] as Uint8Array;
    node.ownSigned(writer, {
      version,
      signature: nobleEd25519.sign(secret, mapSetMessage(MAP, writer, version, root)),
      publicKey: nobleEd25519.publicKey(secret),
    });
  }

  /** `from` answers `to`'s digest (or part of it); returns whether anything went. */
  sync(from: number, to: number, chunk: Chunk): boolean {
    const sender = this.nodes[from] as MapReplica;
    const remote = new Map<NodeId, MapClock>((this.nodes[to] as MapReplica).clocks());
    const plan: MapDeltaPlan =
      chunk.kind === 'whole'
        ? sender.planDelta(remote, '', null)
        : chunk.kind === 'limit'
          ? sender.planDelta(remote, '', null, chunk.limit)
          : sender.planDelta(remote, WRITERS[chunk.writer] as string, `${WRITERS[chunk.writer]}\u0000`);
    if (plan.proofs.length === 0) return false;
    const delivered = this.deliver(to, plan);
    expect(delivered.authentic.every(Boolean)).toBe(true);
    this.refused.push(...delivered.refused);
    this.liars.push(...delivered.liars);
    return true;
  }

  /** Node `to` takes `plan` as a peer's delta: proves it, applies what is authentic, settles the ghosts. */
  deliver(to: number, plan: MapDeltaPlan): { authentic: boolean[]; refused: NodeId[]; liars: NodeId[] } {
    const receiver = this.nodes[to] as MapReplica;
    const entries = plan.entries.map((e) => mapEntry(e.key, e.value, e.wall, e.counter, e.writer));
    const proven = receiver.prove(
      { kind: 'map', name: MAP, ...plan, entries, source: new Uint8Array(0), valueRanges: [] },
      entries.map((entry) => digestOf(receiver, entry.value)),
      check,
      new Set(),
    );
    entries.forEach((entry, i) => {
      if (proven.authentic[i]) receiver.map.apply(entry);
    });
    const liars = receiver.settle(proven.ghosts, this.now++);
    return { authentic: proven.authentic, refused: proven.refused, liars };
  }

  /** Everyone answers everyone, whole, until nothing moves. */
  converge(): void {
    for (let round = 0; round < 10; round++) {
      let moved = false;
      for (let from = 0; from < NODES; from++)
        for (let to = 0; to < NODES; to++)
          if (from !== to && this.sync(from, to, { kind: 'whole' })) moved = true;
      if (!moved) return;
    }
    throw new Error('did not converge');
  }

  /** Per key, the write that wins (LWW by version, then writer). */
  truth(): Map<string, MapEntry> {
    const winners = new Map<string, MapEntry>();
    for (const entry of this.writes) {
      const held = winners.get(entry.key);
      if (held === undefined || compareVersions(entry, held) > 0) winners.set(entry.key, entry);
    }
    return winners;
  }
}

/**
 * Plays `ops` on a new network, checking that no honest answer is refused or taken for a lie.
 * `complete`: the rest of a chunked answer arrives before the receiver answers anyone (see the
 * known fault in map-replica.test.ts: a relay answering while it owes a ghost names no write).
 */
function play(ops: readonly Op[], complete: boolean): Network {
  const network = new Network();
  for (const op of ops) {
    if ('write' in op) network.write(op.write, op.step, op.batch);
    else if (op.from !== op.to) {
      network.sync(op.from, op.to, op.chunk);
      if (complete && op.chunk.kind !== 'whole') network.sync(op.from, op.to, { kind: 'whole' });
    }
    expect(network.refused).toEqual([]);
    expect(network.liars).toEqual([]);
  }
  return network;
}

function run(ops: readonly Op[], complete = false): Network {
  const network = play(ops, complete);
  network.converge();
  expect(network.refused).toEqual([]);
  expect(network.liars).toEqual([]);
  return network;
}

function expectConverged(network: Network): void {
  const truth = [...network.truth().values()]
    .map((e) => [e.key, e.writer, e.wall, e.counter, e.value])
    .sort();
  const writer = (index: number) => network.nodes[index] as MapReplica;
  for (const node of network.nodes) {
    const held = [...node.map.allEntries()].map((e) => [e.key, e.writer, e.wall, e.counter, e.value]).sort();
    expect(held).toEqual(truth);
    expect(node.owed).toBe(0);
    WRITERS.forEach((id, index) => {
      expect(node.clockOf(id)).toEqual(writer(index).clockOf(id));
      expect(node.sets.setOf(id)?.root()).toEqual(writer(index).sets.setOf(id)?.root());
    });
    // Any node answers a newcomer as the writers' own nodes would.
    expect(node.planDelta(new Map(), '', null)).toEqual(writer(0).planDelta(new Map(), '', null));
  }
}

type Forgery = 'value' | 'version' | 'writer' | 'digest' | 'omit';

/**
 * `plan` with whole proof `at` forged as `forgery` says (undefined when it has nothing to forge
 * that way), and `plan` without that proof and what it covers.
 */
function forge(
  plan: MapDeltaPlan,
  at: number,
  forgery: Forgery,
  pick: number,
): { forged: MapDeltaPlan; without: MapDeltaPlan } | undefined {
  let entry = 0;
  let ghost = 0;
  for (const proof of plan.proofs.slice(0, at)) {
    if (proof.kind === 'cut') continue;
    entry += proof.entries;
    ghost += proof.ghosts;
  }
  const proof = plan.proofs[at] as Extract<MapProof, { kind: 'whole' }>;
  const without: MapDeltaPlan = {
    proofs: plan.proofs.filter((_, i) => i !== at),
    entries: plan.entries.filter((_, i) => i < entry || i >= entry + proof.entries),
    ghosts: plan.ghosts.filter((_, i) => i < ghost || i >= ghost + proof.ghosts),
  };
  const entries = [...plan.entries];
  const ghosts = [...plan.ghosts];
  const proofs = [...plan.proofs];
  const e = entry + (pick % Math.max(1, proof.entries));
  const g = ghost + (pick % Math.max(1, proof.ghosts));
  const target = entries[e] as MapEntry;
  if (forgery === 'digest' || (forgery === 'omit' && proof.entries === 0)) {
    if (proof.ghosts === 0) return undefined;
    if (forgery === 'omit') {
      ghosts.splice(g, 1);
      proofs[at] = { ...proof, ghosts: proof.ghosts - 1 };
    } else {
      const held = ghosts[g] as MapGhost;
      ghosts[g] = { ...held, digest: held.digest.map((byte, i) => (i === 0 ? byte ^ 1 : byte)) };
    }
  } else {
    if (proof.entries === 0) return undefined;
    if (forgery === 'omit') {
      entries.splice(e, 1);
      proofs[at] = { ...proof, entries: proof.entries - 1 };
    } else if (forgery === 'value') entries[e] = { ...target, value: target.value === 99 ? 98 : 99 };
    else if (forgery === 'version') entries[e] = { ...target, counter: target.counter + 1 };
    else
      entries[e] = {
        ...target,
        writer: WRITERS[(WRITERS.indexOf(target.writer) + 1) % WRITERS.length] as NodeId,
      };
  }
  return { forged: { proofs, entries, ghosts }, without };
}

/** What a node shows and holds: its entries, clocks and owed ghosts. */
function stateOf(node: MapReplica): unknown {
  return {
    entries: [...node.map.allEntries()].map((e) => [e.key, e.writer, e.wall, e.counter, e.value]).sort(),
    clocks: node.clocks(),
    // A refused proof may leave its writer an empty set: no items, no clock.
    roots: WRITERS.map((writer) => {
      const set = node.sets.setOf(writer);
      return set === undefined || set.size === 0 ? undefined : set.root();
    }),
    owed: node.owed,
  };
}

describe('MapReplica (properties)', () => {
  it('honest nodes answering each other whole never refuse or accuse anyone, and converge on every write', () => {
    fc.assert(
      fc.property(opsArb(wholeOnly), (ops) => {
        expectConverged(run(ops));
      }),
      fcParams({ numRuns: 60 }),
    );
  });

  it('answers cut by digest ranges or at a limit: a ghost waits for the rest, and nodes converge alike', () => {
    fc.assert(
      fc.property(opsArb(anyChunk), (ops) => {
        expectConverged(run(ops, true));
      }),
      fcParams({ numRuns: 60 }),
    );
  });

  it("a forged answer is refused for its writer and changes nothing: the node ends as if that writer's part never came", () => {
    fc.assert(
      fc.property(
        opsArb(wholeOnly),
        fc.integer({ min: 0, max: NODES - 1 }),
        fc.integer({ min: 0, max: NODES - 1 }),
        fc.nat(),
        fc.constantFrom<Forgery>('value', 'version', 'writer', 'digest', 'omit'),
        (ops, from, to, pick, forgery) => {
          fc.pre(from !== to);
          // Two copies of one network (signatures are deterministic): one takes the forgery,
          // the other the honest answer without the forged writer's part.
          const attacked = play(ops, false);
          const twin = play(ops, false);
          const plan = (attacked.nodes[from] as MapReplica).planDelta(
            new Map((attacked.nodes[to] as MapReplica).clocks()),
            '',
            null,
          );
          fc.pre(plan.proofs.length > 0);
          const at = pick % plan.proofs.length;
          const made = forge(plan, at, forgery, pick);
          fc.pre(made !== undefined);
          const { forged, without } = made as { forged: MapDeltaPlan; without: MapDeltaPlan };
          const writer = (plan.proofs[at] as MapProof).writer;
          const taken = attacked.deliver(to, forged);
          expect(taken.refused).toEqual([writer]);
          expect(taken.liars).toEqual([]);
          const honest = twin.deliver(to, without);
          expect(honest.refused).toEqual([]);
          expect(stateOf(attacked.nodes[to] as MapReplica)).toEqual(stateOf(twin.nodes[to] as MapReplica));
          // The honest part is still taken afterwards (before the node answers anyone: the
          // known fault again, for a ghost owed to the refused writer).
          expect(attacked.sync(from, to, { kind: 'whole' })).toBe(true);
          attacked.converge();
          expect(attacked.liars).toEqual([]);
          expectConverged(attacked);
        },
      ),
      fcParams({ numRuns: 40 }),
    );
  });
});
