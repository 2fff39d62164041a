/**
 * Throughput and footprint of LmdbStore (both durabilities) next to core's MemoryStore, on
 * Shoal's workload: ≈63-byte keys, 40-byte values. Run with `pnpm --filter
 * @shoal/storage-lmdb bench` (`ENTRIES=200000` shrinks the reopen test).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type KeyValueStore, MemoryStore } from '@shoal/core';
import { LmdbStore } from '../src/index.js';

const encoder = new TextEncoder();
const PREFIX = 'c/home-automation/m/settings/e/';
const entriesForReopen = Number(process.env.ENTRIES ?? 1_000_000);

const entry = (): [Uint8Array, Uint8Array] => [
  encoder.encode(`${PREFIX}${randomBytes(16).toString('hex')}`),
  randomBytes(40),
];
const entries = (count: number) => Array.from({ length: count }, entry);
const rate = (count: number, started: number) => Math.round(count / ((performance.now() - started) / 1000));
const fmt = (value: number) => value.toLocaleString('en-US');

async function writeRates(store: KeyValueStore): Promise<Record<string, string>> {
  const batches = Array.from({ length: 40 }, () => entries(1000));
  let started = performance.now();
  for (const batch of batches) await store.batch(batch.map(([key, value]) => ({ type: 'put', key, value })));
  const batched = rate(40_000, started);
  const singles = entries(300);
  started = performance.now();
  for (const [key, value] of singles) await store.put(key, value);
  const sequential = rate(singles.length, started);
  const concurrent = entries(2000);
  started = performance.now();
  for (let i = 0; i < concurrent.length; i += 100) {
    await Promise.all(concurrent.slice(i, i + 100).map(([key, value]) => store.put(key, value)));
  }
  return {
    'batched writes/s (1000 per batch)': fmt(batched),
    'single writes/s (sequential await)': fmt(sequential),
    'single writes/s (100 in flight)': fmt(rate(concurrent.length, started)),
  };
}

async function reopenAndSize(root: string): Promise<Record<string, string>> {
  const path = join(root, 'big');
  const store = await LmdbStore.open(path, { durability: 'commit' });
  for (let i = 0; i < entriesForReopen; i += 10_000) {
    await store.batch(entries(10_000).map(([key, value]) => ({ type: 'put', key, value })));
  }
  await store.close();
  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const reopened = await LmdbStore.open(path);
    await reopened.get(encoder.encode(PREFIX));
    runs.push(performance.now() - started);
    await reopened.close();
  }
  let bytes = 0;
  for (const name of readdirSync(path)) bytes += statSync(join(path, name)).blocks * 512;
  return {
    [`reopen + first get, ${fmt(entriesForReopen)} entries (ms, median of 3)`]: (
      runs.sort((a, b) => a - b)[1] ?? 0
    ).toFixed(1),
    'bytes on disk per entry (allocated)': (bytes / entriesForReopen).toFixed(1),
  };
}

const root = mkdtempSync(join(tmpdir(), 'shoal-storage-bench-'));
try {
  const columns = new Map<string, Record<string, string>>();
  columns.set('MemoryStore', await writeRates(new MemoryStore()));
  for (const durability of ['flush', 'commit'] as const) {
    const store = await LmdbStore.open(join(root, durability), { durability });
    columns.set(`LmdbStore (${durability})`, await writeRates(store));
    await store.close();
  }
  const footprint = await reopenAndSize(root);
  const names = [...columns.keys()];
  console.log(`| metric | ${names.join(' | ')} |`);
  console.log(`| --- | ${names.map(() => '---:').join(' | ')} |`);
  for (const metric of Object.keys(columns.get('MemoryStore') ?? {})) {
    console.log(`| ${metric} | ${names.map((name) => columns.get(name)?.[metric]).join(' | ')} |`);
  }
  for (const [metric, value] of Object.entries(footprint)) {
    console.log(`| ${metric} | n/a (in memory) | ${value} | same file |`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
