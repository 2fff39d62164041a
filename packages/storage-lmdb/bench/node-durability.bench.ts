// Durability cost at the node level: writes/s through a Coordinator on LmdbStore versus
// MemoryStore, reopen time of a channel holding ENTRIES map entries, and bytes on disk per entry.
//
// Run from the repository root:
//   node --expose-gc --conditions=@shoal/source --import tsx packages/storage-lmdb/bench/node-durability.bench.ts
// ENTRIES=<n> sets the size of the reopen test (default 1,000,000). REOPEN_DIR=<store dir>
// skips everything else and times the reopen of an existing store holding ENTRIES entries of
// channel `bench`, map `kv` (written by an earlier run).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Coordinator, type KeyValueStore, MemoryStore } from '@shoal/core';
import { LmdbStore } from '../src/index.js';
import { systemTimers } from '../test/fixtures/node-timers.js';

const ENTRIES = Number(process.env.ENTRIES ?? 1_000_000);
const root = mkdtempSync(join(tmpdir(), 'shoal-node-bench-'));
const config = { limits: { maxKeysPerChannel: Math.max(2_000_000, ENTRIES * 2) } };
let directories = 0;

type Kind = 'memory' | 'flush' | 'commit';
const kinds: Kind[] = ['memory', 'flush', 'commit'];

async function storeOf(kind: Kind, path = join(root, `s${directories++}`)): Promise<KeyValueStore> {
  return kind === 'memory' ? new MemoryStore() : LmdbStore.open(path, { durability: kind });
}

async function node(storage: KeyValueStore): Promise<Coordinator> {
  return Coordinator.create({ timers: systemTimers(), storage, config });
}

const key = (): string => randomBytes(16).toString('hex');
const value = (n: number) => ({ n, room: 'kitchen', on: n % 2 === 0 });

/** Sequential `await map.set`: each write waits for its own durable commit. */
async function single(kind: Kind, count: number): Promise<number> {
  const coordinator = await node(await storeOf(kind));
  const map = (await coordinator.channel('bench')).map('kv');
  for (let i = 0; i < 20; i++) await map.set(key(), value(i)); // warm up
  const start = performance.now();
  for (let i = 0; i < count; i++) await map.set(key(), value(i));
  const rate = count / ((performance.now() - start) / 1000);
  await coordinator.dispose();
  return rate;
}

/** `batch` sets issued in one turn, then `await node.flush()`, `rounds` times. */
async function batched(kind: Kind, batch: number, rounds: number): Promise<number> {
  const coordinator = await node(await storeOf(kind));
  const map = (await coordinator.channel('bench')).map('kv');
  for (let i = 0; i < batch; i++) void map.set(key(), value(i));
  await coordinator.flush(); // warm up
  const start = performance.now();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < batch; i++) void map.set(key(), value(i));
    await coordinator.flush();
  }
  const rate = (batch * rounds) / ((performance.now() - start) / 1000);
  await coordinator.dispose();
  return rate;
}

/** Sequential `await stream.append` of 32-byte payloads. */
async function appends(kind: Kind, count: number): Promise<number> {
  const coordinator = await node(await storeOf(kind));
  const stream = (await coordinator.channel('bench')).stream('log');
  const payload = randomBytes(32);
  const start = performance.now();
  for (let i = 0; i < count; i++) await stream.append(payload);
  const rate = count / ((performance.now() - start) / 1000);
  await coordinator.dispose();
  return rate;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const median = (values: number[]): number =>
  values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const rows: [string, ...string[]][] = [];
async function row(label: string, measure: (kind: Kind) => Promise<number>): Promise<void> {
  const cells: string[] = [];
  for (const kind of kinds) cells.push(fmt(await measure(kind)));
  rows.push([label, ...cells]);
  console.error(`${label}: ${cells.join(' | ')}`);
}

const reopenOnly = process.env.REOPEN_DIR !== undefined;
if (!reopenOnly) {
  await row('single `await map.set` (writes/s)', (kind) => single(kind, kind === 'memory' ? 20_000 : 500));
  await row('single `await stream.append` (appends/s)', (kind) =>
    appends(kind, kind === 'memory' ? 20_000 : 500),
  );
  await row('100 `set`s + `await flush()` (writes/s)', (kind) =>
    batched(kind, 100, kind === 'memory' ? 200 : 50),
  );
  await row('1,000 `set`s + `await flush()` (writes/s)', (kind) => batched(kind, 1_000, 20));
  await row('10,000 `set`s + `await flush()` (writes/s)', (kind) => batched(kind, 10_000, 5));
}

// Reopen: fill one channel through the Coordinator, then time store open + create + channel.
const path = process.env.REOPEN_DIR ?? join(root, 'large');
if (!reopenOnly) {
  const coordinator = await node(await storeOf('flush', path));
  const map = (await coordinator.channel('bench')).map('kv');
  const start = performance.now();
  for (let done = 0; done < ENTRIES; ) {
    const n = Math.min(10_000, ENTRIES - done);
    for (let i = 0; i < n; i++) void map.set(key(), value(done + i));
    await coordinator.flush();
    done += n;
  }
  const seconds = (performance.now() - start) / 1000;
  console.error(`filled ${fmt(ENTRIES)} entries in ${seconds.toFixed(1)} s (${fmt(ENTRIES / seconds)}/s)`);
  await coordinator.dispose();
}
const reopen: number[] = [];
const openOnly: number[] = [];
const heapMbs: number[] = [];
const gc = (globalThis as { gc?: () => void }).gc;
/** One reopen, in its own frame: nothing of it stays referenced once it returns. */
async function reopenOnce(): Promise<void> {
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  const store = await LmdbStore.open(path);
  const coordinator = await node(store);
  openOnly.push(performance.now() - start);
  const map = (await coordinator.channel('bench')).map('kv');
  reopen.push(performance.now() - start);
  if (map.size !== ENTRIES) throw new Error(`reopened ${map.size} entries, expected ${ENTRIES}`);
  // What the open channel holds, not the garbage its load left (with --expose-gc).
  gc?.();
  heapMbs.push((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20);
  await coordinator.dispose();
}
for (let attempt = 0; attempt < 3; attempt++) await reopenOnce();
const heapMb = median(heapMbs);
const bytes = statSync(join(path, 'data.mdb')).blocks * 512;
rows.push([
  `reopen: store open + \`Coordinator.create\` (ms, median of 3)`,
  'n/a',
  median(openOnly).toFixed(1),
  'same file',
]);
rows.push([
  `reopen: … + \`await node.channel()\`, ${fmt(ENTRIES)} entries (ms, median of 3)`,
  'n/a',
  fmt(median(reopen)),
  'same file',
]);
rows.push([
  'heap held by the reopened channel (MB, median of 3, with --expose-gc)',
  'n/a',
  gc ? heapMb.toFixed(0) : 'n/a',
  'same file',
]);
rows.push(['bytes on disk per map entry (allocated)', 'n/a', (bytes / ENTRIES).toFixed(1), 'same file']);
console.error(
  `heap held by the reopened channel: ${heapMb.toFixed(0)} MB${gc ? '' : ' (run with --expose-gc for a figure without garbage)'}`,
);

console.log('| metric | MemoryStore | LmdbStore (flush) | LmdbStore (commit) |');
console.log('| --- | ---: | ---: | ---: |');
for (const [label, ...cells] of rows) console.log(`| ${label} | ${cells.join(' | ')} |`);
rmSync(root, { recursive: true, force: true });
