import { fcParams } from '@shoal/testkit';
import { SimulatedNetwork } from '@shoal/transport-memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../clock/timestamp.js';
import { compareStreamEntries, type StreamEntry } from '../crdt/event-log.js';
import type { Value } from '../crdt/value.js';
import type { NodeId } from '../ids/node-id.js';
import { Coordinator } from './coordinator.js';
import type { SharedMap } from './shared-map.js';
import type { SharedStream } from './shared-stream.js';

const NODES = ['n0', 'n1', 'n2', 'n3', 'n4'];
// Many keys and values up to ~600 bytes, so deltas span several 1200-byte chunks.
const KEYS = ['__proto__', ...Array.from({ length: 23 }, (_, i) => `key-${i}`)];

type Op =
  | { kind: 'set'; node: number; key: number; value: number; size: number }
  | { kind: 'delete'; node: number; key: number }
  | { kind: 'append'; node: number; payload: number }
  | { kind: 'run'; ms: number }
  | { kind: 'partition'; cut: number }
  | { kind: 'heal' }
  | { kind: 'crash'; node: number }
  | { kind: 'pause'; node: number }
  | { kind: 'resume'; node: number }
  | { kind: 'skew'; node: number; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      node: fc.nat(4),
      key: fc.nat(23),
      value: fc.nat(1000),
      size: fc.nat(600),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), node: fc.nat(4), key: fc.nat(23) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('append' as const), node: fc.nat(4), payload: fc.nat(255) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 1, max: 2000 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('partition' as const), cut: fc.integer({ min: 1, max: 4 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), node: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resume' as const), node: fc.nat(4) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('skew' as const),
      node: fc.nat(4),
      ms: fc.integer({ min: -25_000, max: 25_000 }),
    }),
  },
);

interface Replica {
  node: Coordinator;
  map: SharedMap;
  stream: SharedStream;
}

interface Written {
  key: string;
  value: Value | undefined;
  wall: number;
  counter: number;
  writer: NodeId;
}

/**
 * Random writes, deletes and appends on random nodes under loss, duplication, reordering,
 * partitions, crashes with restart, pauses and clock skew; then heal and wait: every replica
 * must equal every other and the reference model (the greatest version per key; every
 * appended entry exactly once, in the same order everywhere).
 */
async function simulate(
  seed: number,
  loss: number,
  ops: readonly Op[],
  mapEntries: 'memory' | 'store',
  maxAnswerEntries?: number,
): Promise<void> {
  const net = new SimulatedNetwork({
    seed,
    loss,
    duplicate: 0.1,
    reorder: 0.2,
    latency: { min: 1, max: 40 },
    maxMessageSize: 1200,
  });
  const written: Written[] = [];
  const appended: StreamEntry[] = [];
  const replicas = new Map<number, Replica>();
  const crashed = new Set<number>();
  const paused = new Set<number>();

  const boot = async (index: number): Promise<void> => {
    const id = NODES[index] as string;
    const node = await Coordinator.create({
      id,
      ...net.nodePorts(id),
      config: { mapEntries, ...(maxAnswerEntries === undefined ? {} : { limits: { maxAnswerEntries } }) },
    });
    await node.start();
    const channel = await node.channel('sim');
    const replica = { node, map: channel.map('kv'), stream: channel.stream('log') };
    replicas.set(index, replica);
    void (async () => {
      for await (const change of replica.map.watch()) {
        if (change.local)
          written.push({ key: change.key, value: change.value, ...change.stamp, writer: change.writer });
      }
    })();
    void (async () => {
      for await (const event of replica.stream.watch()) if (event.local) appended.push(event.entry);
    })();
  };
  for (let i = 0; i < NODES.length; i++) await boot(i);

  for (const op of ops) {
    const live = 'node' in op && !crashed.has(op.node) && !paused.has(op.node);
    const replica = 'node' in op ? replicas.get(op.node) : undefined;
    switch (op.kind) {
      case 'set':
        if (live) await replica?.map.set(KEYS[op.key] as string, { n: op.value, pad: 'x'.repeat(op.size) });
        break;
      case 'delete':
        if (live) await replica?.map.delete(KEYS[op.key] as string);
        break;
      case 'append':
        if (live) await replica?.stream.append(new Uint8Array([op.payload]));
        break;
      case 'run':
        await net.runFor(op.ms);
        break;
      case 'partition':
        net.partition(NODES.slice(0, op.cut), NODES.slice(op.cut));
        break;
      case 'heal':
        net.heal();
        break;
      case 'crash':
        if (!crashed.has(op.node)) {
          net.crash(NODES[op.node] as string);
          crashed.add(op.node);
          paused.delete(op.node);
        }
        break;
      case 'pause':
        if (!crashed.has(op.node)) {
          net.pause(NODES[op.node] as string);
          paused.add(op.node);
        }
        break;
      case 'resume':
        if (paused.delete(op.node)) net.resume(NODES[op.node] as string);
        break;
      case 'skew':
        net.setClockSkew(NODES[op.node] as string, op.ms);
        break;
    }
  }

  net.heal();
  for (const index of paused) net.resume(NODES[index] as string);
  for (const index of crashed) {
    net.restart(NODES[index] as string);
    await boot(index);
  }

  const expectedMap = new Map<string, Written>();
  for (const write of written) {
    const current = expectedMap.get(write.key);
    if (current === undefined || compareVersions(write, current) > 0) expectedMap.set(write.key, write);
  }
  const expected = [...expectedMap.values()]
    .filter((write) => write.value !== undefined)
    .map((write) => [write.key, write.value] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const expectedLog = appended.slice().sort(compareStreamEntries);
  const snapshot = (replica: Replica) => ({
    map: [...replica.map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    log: replica.stream.getAll(),
  });
  const converged = () =>
    [...replicas.values()].every((replica) => {
      const state = snapshot(replica);
      return (
        state.log.length === expectedLog.length && JSON.stringify(state.map) === JSON.stringify(expected)
      );
    });
  const done = await net.runUntil(converged, { timeout: 180_000 });
  for (const replica of replicas.values()) {
    const state = snapshot(replica);
    expect(state.map).toEqual(expected);
    expect(state.log).toEqual(expectedLog);
  }
  expect(done).toBe(true);
}

// Both places a map may live (ADR 0050), and answers cut short to a few entries (a newcomer to
// a channel larger than one answer): every claim holds for each.
describe.each([
  ['memory', undefined],
  ['store', undefined],
  ['memory', 3],
  ['store', 3],
] as const)('convergence under faults (simulated network), maps in %s, answers of at most %s entries', (mapEntries, maxAnswerEntries) => {
  it('every replica equals every other and the reference model after heal', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(0, 0.1, 0.3, 0.5),
        fc.array(opArb, { minLength: 5, maxLength: 80 }),
        (seed, loss, ops) => simulate(seed, loss, ops, mapEntries, maxAnswerEntries),
      ),
      fcParams({ numRuns: 25 }),
    );
  }, 240_000);
});
