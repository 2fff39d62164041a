/**
 * CRDT benchmark on a 100k-key workload of small JSON values `{ v: i, s: 'value-' + i }`:
 * local writes/s (LwwMap and SharedMap), remote merges/s, HLC ticks/s, delta encode/decode
 * rates and bytes per entry (1 and 1000 writers), and heap bytes per entry (LwwMap, the whole
 * node, EventLog). Run from the repository root:
 *
 *   node --expose-gc --conditions=@shoal/source --import tsx packages/core/bench/crdt.bench.ts [--out file.md] [--reps 7]
 *
 * Rates are medians over `--reps` repetitions (each on fresh state); the spread column is
 * (max - min) / median, a rough noise gauge. Heap figures need --expose-gc.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Hlc } from '../src/clock/hlc.js';
import { decodeValue } from '../src/codec/decode-value.js';
import { encodeValue } from '../src/codec/encode-value.js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import { deepFreeze } from '../src/crdt/deep-freeze.js';
import { EventLog, type StreamEntry } from '../src/crdt/event-log.js';
import { LwwMap, type MapEntry } from '../src/crdt/lww-map.js';
import type { Value } from '../src/crdt/value.js';
import { type NodeId, randomNodeId } from '../src/ids/node-id.js';
import { cryptoRandom } from '../src/ports/crypto-random.js';
import type { KeyValueStore } from '../src/ports/key-value-store.js';
import type { TimerPort } from '../src/ports/timer-port.js';
import { decodeDelta, encodeDelta, type OutgoingDelta } from '../src/protocol/sync-codec.js';
import { DeltaChunker } from '../src/sync/delta-chunker.js';
import type { MapReplica } from '../src/sync/map-replica.js';
import { signedReplica } from './signed-replica.js';

const KEYS = 100_000;
/** One UDP datagram's worth, as the sync engine's budget on a 1200-byte port. */
const CHUNK_BUDGET = 1100;
const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const REPS = Number(option('--reps') ?? 7);
const gc = (globalThis as { gc?: () => void }).gc;
const out: string[] = [];
const print = (line = '') => {
  console.log(line);
  out.push(line);
};

const keyOf = (i: number) => `key-${i}`;
const valueAt = (i: number): Value => ({ v: i, s: `value-${i}` });

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `setup` untimed, then `body` timed, `REPS` times; returns ops/s median and spread. */
async function rate<S>(ops: number, setup: () => S, body: (state: S) => unknown): Promise<string[]> {
  const rates: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const state = setup();
    gc?.();
    const started = performance.now();
    await body(state);
    rates.push(ops / ((performance.now() - started) / 1000));
  }
  const mid = median(rates);
  return [fmt(mid), `${(((Math.max(...rates) - Math.min(...rates)) / mid) * 100).toFixed(0)} %`];
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

function heapUsed(): number {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const realTimers: TimerPort = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};

/** 100k entries as the writers would produce them: HLC-stamped in a burst, values frozen. */
function writeEntries(writers: readonly NodeId[]): MapEntry[] {
  const clocks = writers.map(() => new Hlc({ wallClock: Date.now }));
  const entries: MapEntry[] = [];
  for (let i = 0; i < KEYS; i++) {
    const w = i % writers.length;
    const stamp = (clocks[w] as Hlc).now();
    const value = deepFreeze(valueAt(i));
    entries.push({
      key: keyOf(i),
      value,
      wall: stamp.wall,
      counter: stamp.counter,
      writer: writers[w] as NodeId,
    });
  }
  return entries;
}

/** What a newcomer is sent: every writer's signed set (ADR 0058). */
function replicaOf(entries: readonly MapEntry[]): MapReplica {
  return signedReplica(entries, 'kv');
}

function chunked(replica: MapReplica): Uint8Array[] {
  const chunker = new DeltaChunker('bench', CHUNK_BUDGET, false);
  chunker.add({ kind: 'map', name: 'kv', ...replica.planDelta(new Map(), '', null) });
  return chunker.finish().map((message) => encodeDelta(message));
}

function oneDelta(replica: MapReplica): Uint8Array {
  const plan = replica.planDelta(new Map(), '', null);
  const message: OutgoingDelta = {
    channel: 'bench',
    push: false,
    final: true,
    fresh: false,
    objects: [
      {
        kind: 'map',
        name: 'kv',
        proofs: plan.proofs,
        ghosts: plan.ghosts,
        entries: plan.entries.map((entry) => ({
          entry,
          valueBytes: entry.value === undefined ? undefined : encodeValue(entry.value),
        })),
      },
    ],
  };
  return encodeDelta(message);
}

function decodeAll(messages: readonly Uint8Array[]): (readonly MapEntry[])[] {
  return messages.flatMap((bytes) => {
    const decoded = decodeDelta(bytes);
    if (!decoded.ok) throw new Error(decoded.error);
    return decoded.value.objects.flatMap((object) => (object.kind === 'map' ? [object.entries] : []));
  });
}

const total = (messages: readonly Uint8Array[]) => messages.reduce((sum, bytes) => sum + bytes.length, 0);

async function localWrites(): Promise<void> {
  print(`## Local writes, ${fmt(KEYS)} fresh keys\n`);
  print('| path | writes/s (median) | spread |');
  print('|---|---:|---:|');
  const self = randomNodeId(cryptoRandom);
  const crdt = await rate(
    KEYS,
    () => ({ map: new LwwMap(), hlc: new Hlc({ wallClock: Date.now }) }),
    ({ map, hlc }) => {
      for (let i = 0; i < KEYS; i++) {
        const stamp = hlc.now();
        map.apply(
          { key: keyOf(i), value: valueAt(i), wall: stamp.wall, counter: stamp.counter, writer: self },
          true,
        );
      }
    },
  );
  print(`| LwwMap: Hlc.now + apply | ${crdt.join(' | ')} |`);
  const nodes: Coordinator[] = [];
  const api = await rate(
    KEYS,
    () => nodes,
    async () => {
      const node = await Coordinator.create({ timers: realTimers });
      nodes.push(node);
      const map = (await node.channel('bench')).map('kv');
      for (let i = 0; i < KEYS; i++) void map.set(keyOf(i), valueAt(i));
      await node.flush();
    },
  );
  print(`| SharedMap.set, no peers, MemoryStore, flush at end | ${api.join(' | ')} |`);
  await Promise.all(nodes.splice(0).map((node) => node.dispose()));
  const hlc = await rate(
    1_000_000,
    () => new Hlc({ wallClock: Date.now }),
    (clock) => {
      for (let i = 0; i < 1_000_000; i++) clock.now();
    },
  );
  print(`| Hlc.now (ticks/s) | ${hlc.join(' | ')} |`);
  print();
}

async function merges(): Promise<void> {
  print(`## Remote merges into an empty replica, ${fmt(KEYS)} entries\n`);
  print('| writers | path | entries/s (median) | spread |');
  print('|---:|---|---:|---:|');
  for (const writerCount of [1, 1000]) {
    const writers = Array.from({ length: writerCount }, () => randomNodeId(cryptoRandom));
    const entries = writeEntries(writers);
    const merge = await rate(
      KEYS,
      () => new LwwMap(),
      (map) => map.merge(entries),
    );
    print(`| ${writerCount} | LwwMap.merge (decoded entries) | ${merge.join(' | ')} |`);
    const chunks = chunked(replicaOf(entries));
    const endToEnd = await rate(
      KEYS,
      () => new LwwMap(),
      (map) => {
        for (const list of decodeAll(chunks)) map.merge(list);
      },
    );
    print(`| ${writerCount} | decodeDelta (${chunks.length} chunks) + merge | ${endToEnd.join(' | ')} |`);
    const clock = await rate(
      KEYS,
      () => ({ map: new LwwMap(), hlc: new Hlc({ wallClock: Date.now }) }),
      ({ map, hlc }) => {
        for (const list of decodeAll(chunks)) {
          for (const entry of list) {
            hlc.receive(entry);
            map.apply(entry);
          }
        }
      },
    );
    print(`| ${writerCount} | decode + Hlc.receive + apply (as mergeRemote) | ${clock.join(' | ')} |`);
  }
  print();
}

async function codec(): Promise<void> {
  print(`## Delta encoding of ${fmt(KEYS)} entries\n`);
  const sample = encodeValue(valueAt(54_321)).length + keyOf(54_321).length;
  print(`Key + MessagePack value alone: ${sample} B for entry 54 321 (the floor any encoding pays).\n`);
  print('| writers | form | messages | B/entry | encode entries/s | decode entries/s |');
  print('|---:|---|---:|---:|---:|---:|');
  for (const writerCount of [1, 1000]) {
    const writers = Array.from({ length: writerCount }, () => randomNodeId(cryptoRandom));
    const replica = replicaOf(writeEntries(writers));
    const chunks = chunked(replica);
    const big = oneDelta(replica);
    const [encodeChunked] = await rate(KEYS, () => replica, chunked);
    const [decodeChunked] = await rate(KEYS, () => chunks, decodeAll);
    const [encodeBig] = await rate(KEYS, () => replica, oneDelta);
    const [decodeBig] = await rate(KEYS, () => [big], decodeAll);
    print(
      `| ${writerCount} | chunks ≤ ${CHUNK_BUDGET} B | ${chunks.length} | ${(total(chunks) / KEYS).toFixed(1)} | ${encodeChunked} | ${decodeChunked} |`,
    );
    print(
      `| ${writerCount} | one delta | 1 | ${(big.length / KEYS).toFixed(1)} | ${encodeBig} | ${decodeBig} |`,
    );
  }
  print();
}

/** Heap (and array buffer) bytes per entry that `build` leaves reachable. */
async function perEntry(build: () => unknown): Promise<number> {
  const base = heapUsed();
  retained.push(await build());
  return (heapUsed() - base) / KEYS;
}

// Everything measured stays reachable until the end, so no later gc frees it under a baseline.
const retained: unknown[] = [];

/** A store that forgets every write: the node's own heap, without a test store's copies. */
const nullStore: KeyValueStore = {
  get: async () => undefined,
  put: async () => {},
  delete: async () => {},
  batch: async () => {},
  async *scan() {},
  close: async () => {},
};

async function filledNode(storage: KeyValueStore | undefined): Promise<Coordinator> {
  const node = await Coordinator.create({
    timers: realTimers,
    ...(storage === undefined ? {} : { storage }),
  });
  const map = (await node.channel('bench')).map('kv');
  for (let i = 0; i < KEYS; i++) void map.set(keyOf(i), valueAt(i));
  await node.flush();
  return node;
}

async function heap(): Promise<void> {
  if (gc === undefined) {
    print('## Heap per entry: skipped (run node with --expose-gc)\n');
    return;
  }
  print(`## Heap per entry, ${fmt(KEYS)} entries (heapUsed + arrayBuffers deltas after gc)\n`);
  print('| structure | B/entry |');
  print('|---|---:|');
  const self = randomNodeId(cryptoRandom);
  const hlc = new Hlc({ wallClock: Date.now });
  const entry = (i: number): MapEntry => {
    const stamp = hlc.now();
    return {
      key: keyOf(i),
      value: deepFreeze(decoded(valueAt(i))),
      wall: stamp.wall,
      counter: stamp.counter,
      writer: self,
    };
  };
  // Keys and values alone (the data any representation holds), less the array's 8-byte slots.
  const data = await perEntry(() => {
    const flat: unknown[] = [];
    for (let i = 0; i < KEYS; i++) flat.push(keyOf(i), deepFreeze(decoded(valueAt(i))));
    return flat;
  });
  print(`| keys + decoded values alone | ${(data - 16).toFixed(0)} |`);
  const map = await perEntry(() => {
    const lww = new LwwMap();
    for (let i = 0; i < KEYS; i++) lww.apply(entry(i));
    return lww;
  });
  print(`| LwwMap, everything | ${map.toFixed(0)} |`);
  const log = await perEntry(() => {
    const events = new EventLog();
    for (let i = 0; i < KEYS; i++) {
      const stamp = hlc.now();
      const payload = new Uint8Array(100).fill(i & 0xff);
      events.apply({
        author: self,
        seq: i + 1,
        wall: stamp.wall,
        counter: stamp.counter,
        payload,
      } satisfies StreamEntry);
    }
    return events;
  });
  print(`| EventLog, 100-byte payloads | ${log.toFixed(0)} |`);
  print(
    `| Coordinator, storage discarding writes | ${(await perEntry(() => filledNode(nullStore))).toFixed(0)} |`,
  );
  print(`| Coordinator + MemoryStore | ${(await perEntry(() => filledNode(undefined))).toFixed(0)} |`);
  print();
  for (const held of retained) if (held instanceof Coordinator) await held.dispose();
}

function decoded(value: Value): Value {
  const result = decodeValue(encodeValue(value));
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(' ');
print(`# Shoal core CRDT benchmark\n`);
print(`node ${process.version}, ${REPS} reps, load average before: ${load}\n`);
await localWrites();
await merges();
await codec();
await heap();
print(
  `load average after: ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`,
);
const file = option('--out');
if (file !== undefined) writeFileSync(file, `${out.join('\n')}\n`);
