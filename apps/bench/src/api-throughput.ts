/**
 * Shoal's local API side by side with Yjs, in one run (issue 13's aims): writes one per call,
 * many writes in one transaction, merging 100k remote entries, heap per entry. Subjects
 * alternate within each repetition; the best of `--runs` is kept (the machine is shared, so the
 * fastest run is the least disturbed), with the median beside it. `--warmup` repetitions (1 by
 * default) run first and are not counted, for every subject alike: a first run measures the
 * JIT compiling the code more than the code.
 *
 *   pnpm --filter @shoal/bench api [-- --keys 100000 --runs 5 --cpu --only set,transact,merge --ports core]
 *
 * `--cpu` divides by the process's CPU time instead of wall time: on a machine shared with
 * other jobs, wall time counts the turns others get, CPU time only our own work. For a
 * repeatable figure run it with the collector on the main thread (its helper threads' CPU
 * time would otherwise count, and vary):
 *
 *   cd apps/bench && node --single-threaded-gc --expose-gc --conditions=@shoal/source \
 *     --import tsx src/api-throughput.ts --cpu
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Coordinator, createNode, MemoryStore, type TimerPort } from '@shoal/core';

import { nodeEd25519, nodeSha256 } from '@shoal/node';
import { LmdbStore } from '@shoal/storage-lmdb';
import * as Y from 'yjs';
import { median } from './format.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    keys: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    cpu: { type: 'boolean', default: false },
    only: { type: 'string', default: 'set,transact,merge' },
    drop: { type: 'boolean', default: false },
    ports: { type: 'string', default: 'node' },
  },
});
const keys = Number(values.keys);
const runs = Number(values.runs);
const warmup = Number(values.warmup);
/**
 * Which operations run (`--only transact`, say): each alone in the process shows what the
 * engine does when its code is specialized for that one path, the full set what it does when
 * the paths share a process, as in an app.
 */
const only = new Set(values.only.split(','));
for (const operation of only) {
  if (!['set', 'transact', 'merge'].includes(operation))
    throw new Error(`--only takes set, transact, merge: got ${operation}`);
}
/** Seconds on the clock rates are measured by: wall time, or with `--cpu` this process's CPU time. */
const seconds = values.cpu
  ? () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    }
  : () => performance.now() / 1000;
/** Keys per second since `start` (a {@link seconds} reading). */
const rateSince = (start: number) => keys / (seconds() - start);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc (the `api` script does)');

/** A clock that never fires: no peers, no rounds worth running during a timed loop. */
const stillTimers: TimerPort = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: () => () => {},
};
const value = (i: number) => ({ on: i % 2 === 0, level: i % 10 });

/**
 * Each subject's node or document from its previous run, kept reachable until its next run
 * starts. When a run's objects became garbage at once, the collection before the next run
 * freed objects the engine's optimized code still referred to, and that code was thrown away
 * ("weak objects" in `--trace-deopt`): every run then measured re-optimization, about a third
 * of a Shoal transaction and less of Yjs's, which an app holding its node (or document) for its
 * lifetime never pays. `--drop` measures that way (ADR 0051).
 */
const previous = new Map<string, unknown>();
const retain = (subject: string, made: unknown) => {
  if (!values.drop) previous.set(subject, made);
};

if (!['node', 'core'].includes(values.ports))
  throw new Error(`--ports takes node or core: got ${values.ports}`);
/**
 * Hashes and signatures as `openNode` runs them on Node (OpenSSL), or with `--ports core`
 * core's pure-JS defaults, as in a browser.
 */
const cryptoPorts = values.ports === 'node' ? { signer: nodeEd25519, sha256: nodeSha256 } : {};

/** A node alone, with {@link cryptoPorts}. */
async function localNode(storage = new MemoryStore() as MemoryStore | LmdbStore): Promise<Coordinator> {
  return createNode({ id: 'bench', timers: stillTimers, storage, membership: false, ...cryptoPorts });
}

/** Shoal: `set` once per call, awaiting the last (all share one durable batch per turn). */
async function shoalSets(storage?: LmdbStore): Promise<number> {
  const node = await localNode(storage);
  retain(storage === undefined ? 'shoal set' : 'shoal set (LMDB)', node);
  const map = (await node.channel('c')).map('m');
  const start = seconds();
  let last: Promise<void> = Promise.resolve();
  for (let i = 0; i < keys; i++) last = map.set(`key-${i}`, value(i));
  await last;
  const rate = rateSince(start);
  await node.dispose({ leave: false });
  return rate;
}

async function shoalTransact(): Promise<number> {
  const node = await localNode();
  retain('shoal transact', node);
  const ch = await node.channel('c');
  const map = ch.map('m');
  const start = seconds();
  await ch.transact(() => {
    for (let i = 0; i < keys; i++) void map.set(`key-${i}`, value(i));
  });
  const rate = rateSince(start);
  await node.dispose({ leave: false });
  return rate;
}

function yjsSets(oneTransaction: boolean): number {
  const doc = new Y.Doc();
  retain(oneTransaction ? 'yjs transact' : 'yjs set', doc);
  const map = doc.getMap('m');
  const start = seconds();
  if (oneTransaction)
    doc.transact(() => {
      for (let i = 0; i < keys; i++) map.set(`key-${i}`, value(i));
    });
  else for (let i = 0; i < keys; i++) doc.transact(() => map.set(`key-${i}`, value(i)));
  return rateSince(start);
}

/** A snapshot of `keys` entries, and Yjs's update of the same map. */
async function sources(): Promise<{ snapshot: Uint8Array; update: Uint8Array }> {
  const node = await localNode();
  const ch = await node.channel('c');
  await ch.transact(() => {
    for (let i = 0; i < keys; i++) void ch.map('m').set(`key-${i}`, value(i));
  });
  const snapshot = await ch.export();
  await node.dispose({ leave: false });
  const doc = new Y.Doc();
  doc.transact(() => {
    for (let i = 0; i < keys; i++) doc.getMap('m').set(`key-${i}`, value(i));
  });
  return { snapshot, update: Y.encodeStateAsUpdate(doc) };
}

/** Decode + merge + persist (to the in-memory store) of a whole remote state. */
async function shoalMerge(snapshot: Uint8Array): Promise<number> {
  const node = await localNode();
  retain('shoal merge', node);
  const ch = await node.channel('c');
  const start = seconds();
  await ch.import(snapshot);
  const rate = rateSince(start);
  await node.dispose({ leave: false });
  return rate;
}

function yjsMerge(update: Uint8Array): number {
  const doc = new Y.Doc();
  retain('yjs merge', doc);
  const start = seconds();
  Y.applyUpdate(doc, update);
  return rateSince(start);
}

/**
 * Memory held: the JS heap and array buffers' bytes, which live outside it (the in-memory
 * store keeps its records in one).
 */
function held(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Memory retained per entry by a replica holding `keys` entries (its store included for Shoal). */
async function heapPerEntry(): Promise<{ shoal: number; yjs: number }> {
  gc?.();
  let before = held();
  const node = await localNode();
  const ch = await node.channel('c');
  await ch.transact(() => {
    for (let i = 0; i < keys; i++) void ch.map('m').set(`key-${i}`, value(i));
  });
  gc?.();
  const shoal = (held() - before) / keys;
  await node.dispose({ leave: false });
  gc?.();
  before = held();
  const doc = new Y.Doc();
  doc.transact(() => {
    for (let i = 0; i < keys; i++) doc.getMap('m').set(`key-${i}`, value(i));
  });
  gc?.();
  const yjs = (held() - before) / keys;
  doc.destroy();
  return { shoal, yjs };
}

const results = new Map<string, number[]>();
let counted = false;
const record = (name: string, rate: number) => {
  if (counted) results.set(name, [...(results.get(name) ?? []), rate]);
};
const { snapshot, update } = await sources();
const lmdbDir = await mkdtemp(join(tmpdir(), 'shoal-api-bench-'));
try {
  for (let run = -warmup; run < runs; run++) {
    counted = run >= 0;
    if (only.has('set')) {
      gc();
      record('shoal set', await shoalSets());
      gc();
      record('yjs set', yjsSets(false));
      gc();
      const lmdb = await LmdbStore.open(join(lmdbDir, `run-${run}`), { ifDataMissing: 'start-fresh' });
      record('shoal set (LMDB)', await shoalSets(lmdb));
    }
    if (only.has('transact')) {
      gc();
      record('shoal transact', await shoalTransact());
      gc();
      record('yjs transact', yjsSets(true));
    }
    if (only.has('merge')) {
      gc();
      record('shoal merge', await shoalMerge(snapshot));
      gc();
      record('yjs merge', yjsMerge(update));
    }
  }
} finally {
  await rm(lmdbDir, { recursive: true, force: true });
}
previous.clear();
const heap = await heapPerEntry();

const best = (name: string) => Math.max(...(results.get(name) ?? [0]));
const row = (name: string) => {
  const rates = results.get(name) ?? [];
  return `${name.padEnd(18)} best ${Math.round(best(name)).toLocaleString('en').padStart(9)}/s   median ${Math.round(median(rates)).toLocaleString('en').padStart(9)}/s`;
};
console.log(
  `${keys.toLocaleString('en')} keys, ${runs} runs after ${warmup} warm-up, Node ${process.version}, one node, no peers, ${values.ports} hashes and signatures, per ${values.cpu ? 'CPU' : 'wall'} second${values.drop ? ", each run's node or document dropped at once" : ''}`,
);
for (const name of results.keys()) console.log(row(name));
const ratios = (['set', 'transact', 'merge'] as const)
  .filter((operation) => only.has(operation))
  .map((operation) => `${operation} ${(best(`shoal ${operation}`) / best(`yjs ${operation}`)).toFixed(2)}×`);
console.log(`ratios (best): ${ratios.join(', ')}`);
console.log(
  `heap per entry (array buffers included): Shoal ${Math.round(heap.shoal)} B (store included), Yjs ${Math.round(heap.yjs)} B`,
);
