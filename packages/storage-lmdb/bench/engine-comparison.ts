/**
 * Compares the two embedded engines we considered (lmdb and classic-level/LevelDB) on Shoal's
 * storage workload. Both are driven the way an adapter would drive them, with full durability:
 * lmdb waits for its overlapped flush (`db.flushed`), classic-level writes with `sync: true`.
 *
 * Run from the repository root: `pnpm exec tsx packages/storage-lmdb/bench/engine-comparison.ts`
 * (`ENTRIES=200000` shrinks the reopen test for a quick run).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ClassicLevel } from 'classic-level';
import { open as openLmdb } from 'lmdb';

/** The operations the comparison needs, implemented once per engine. */
interface Engine {
  readonly name: string;
  open(path: string): Promise<Handle>;
}

interface Handle {
  batch(entries: readonly (readonly [Uint8Array, Uint8Array])[], durable: boolean): Promise<void>;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  scanCount(start: Uint8Array, end: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

const lmdbEngine: Engine = {
  name: 'lmdb 3.4.4',
  async open(path) {
    const db = openLmdb<Uint8Array, Uint8Array>({ path, keyEncoding: 'binary', encoding: 'binary' });
    return {
      async batch(entries, durable) {
        await db.transaction(() => {
          for (const [key, value] of entries) db.put(key, value);
        });
        if (durable) await db.flushed;
      },
      async put(key, value) {
        await db.put(key, value);
        await db.flushed;
      },
      async get(key) {
        return db.get(key);
      },
      async scanCount(start, end) {
        let count = 0;
        for (const entry of db.getRange({ start, end })) if (entry.value.length > 0) count++;
        return count;
      },
      close: () => db.close(),
    };
  },
};

const levelEngine: Engine = {
  name: 'classic-level 3.0.0',
  async open(path) {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    return {
      async batch(entries, durable) {
        await db.batch(
          entries.map(([key, value]) => ({ type: 'put' as const, key, value })),
          { sync: durable },
        );
      },
      async put(key, value) {
        await db.put(key, value, { sync: true });
      },
      async get(key) {
        return db.get(key);
      },
      async scanCount(start, end) {
        let count = 0;
        for await (const [, value] of db.iterator({ gte: start, lt: end })) if (value.length > 0) count++;
        return count;
      },
      close: () => db.close(),
    };
  },
};

const encoder = new TextEncoder();
const entriesForReopen = Number(process.env.ENTRIES ?? 1_000_000);

/** A ≈60-byte key shaped like a map entry key: scope prefix + 32 hex chars of a random id. */
function key(prefix: string): Uint8Array {
  return encoder.encode(`${prefix}${randomBytes(16).toString('hex')}`);
}

function entries(count: number, prefix: string): [Uint8Array, Uint8Array][] {
  return Array.from({ length: count }, () => [key(prefix), randomBytes(40)]);
}

function directoryBytes(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) total += statSync(join(path, name)).size;
  return total;
}

/** Disk blocks actually allocated (LMDB's map file is sparse; its apparent size overstates). */
function directoryAllocated(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) total += statSync(join(path, name)).blocks * 512;
  return total;
}

const PREFIX = 'c/home-automation/m/settings/e/'; // 31 bytes + 32 hex = 63-byte keys

async function measure(engine: Engine): Promise<Record<string, string>> {
  const root = mkdtempSync(join(tmpdir(), 'shoal-engine-'));
  const results: Record<string, string> = {};
  try {
    // 1. Durable batches of 1000 small writes.
    let db = await engine.open(join(root, 'writes'));
    const batches = Array.from({ length: 40 }, () => entries(1000, PREFIX));
    let started = performance.now();
    for (const batch of batches) await db.batch(batch, true);
    let seconds = (performance.now() - started) / 1000;
    results['batched durable writes/s (1000 per batch)'] = fmt((batches.length * 1000) / seconds);
    results['durable batch latency ms'] = ((seconds / batches.length) * 1000).toFixed(2);

    // 2. Single durable writes, one after the other (the worst case: one fsync each).
    const singles = entries(300, PREFIX);
    started = performance.now();
    for (const [k, v] of singles) await db.put(k, v);
    seconds = (performance.now() - started) / 1000;
    results['single durable writes/s (sequential)'] = fmt(singles.length / seconds);

    // 3. Single durable writes issued 100 at a time (concurrent callers share a flush).
    const concurrent = entries(2000, PREFIX);
    started = performance.now();
    for (let i = 0; i < concurrent.length; i += 100) {
      await Promise.all(concurrent.slice(i, i + 100).map(([k, v]) => db.put(k, v)));
    }
    seconds = (performance.now() - started) / 1000;
    results['single durable writes/s (100 in flight)'] = fmt(concurrent.length / seconds);
    await db.close();

    // 4. Prefix scan of 100k entries amid 100k entries under other prefixes.
    db = await engine.open(join(root, 'scan'));
    for (let i = 0; i < 100; i++) {
      await db.batch(entries(1000, 'c/home-automation/m/other/e/'), false);
      await db.batch(entries(1000, PREFIX), false);
    }
    await db.batch([], true);
    const start = encoder.encode(PREFIX);
    const end = encoder.encode(
      PREFIX.slice(0, -1) + String.fromCharCode(PREFIX.charCodeAt(PREFIX.length - 1) + 1),
    );
    const runs: number[] = [];
    for (let run = 0; run < 5; run++) {
      started = performance.now();
      const count = await db.scanCount(start, end);
      runs.push(performance.now() - started);
      if (count !== 100_000) throw new Error(`scan saw ${count} entries`);
    }
    results['prefix scan 100k entries ms (median of 5)'] = median(runs).toFixed(1);
    await db.close();

    // 5. Reopen with many entries, and bytes on disk per entry.
    const bigPath = join(root, 'big');
    db = await engine.open(bigPath);
    for (let i = 0; i < entriesForReopen; i += 10_000) await db.batch(entries(10_000, PREFIX), false);
    const probe = key(PREFIX);
    await db.batch([[probe, randomBytes(40)]], true);
    await db.close();
    const reopenRuns: number[] = [];
    for (let run = 0; run < 3; run++) {
      started = performance.now();
      db = await engine.open(bigPath);
      if ((await db.get(probe)) === undefined) throw new Error('probe key lost');
      reopenRuns.push(performance.now() - started);
      await db.close();
    }
    results[`reopen + first get with ${fmt(entriesForReopen)} entries ms (median of 3)`] =
      median(reopenRuns).toFixed(1);
    results['bytes on disk per entry (apparent)'] = (directoryBytes(bigPath) / entriesForReopen).toFixed(1);
    results['bytes on disk per entry (allocated)'] = (directoryAllocated(bigPath) / entriesForReopen).toFixed(
      1,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

const table = new Map<string, Record<string, string>>();
for (const engine of [lmdbEngine, levelEngine]) table.set(engine.name, await measure(engine));
const names = [...table.keys()];
const metrics = Object.keys(table.get(names[0] ?? '') ?? {});
console.log(`| metric | ${names.join(' | ')} |`);
console.log(`| --- | ${names.map(() => '---:').join(' | ')} |`);
for (const metric of metrics) {
  console.log(`| ${metric} | ${names.map((name) => table.get(name)?.[metric] ?? '').join(' | ')} |`);
}
