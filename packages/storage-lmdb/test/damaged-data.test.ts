import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../src/index.js';
import { writeDataset } from './fixtures/dataset.js';
import { output, runFixture } from './fixtures/run-fixture.js';
import { tempDirectory } from './temp-directory.js';

const ENTRIES = 3000;
const root = tempDirectory();
const pristine = join(root.path, 'pristine');
let original: Buffer;
let pageSize: number;

beforeAll(async () => {
  const store = await LmdbStore.open(pristine);
  await writeDataset(store, ENTRIES);
  await store.close();
  original = readFileSync(join(pristine, 'data.mdb'));
  pageSize = original.readUInt32LE(0x30);
});
afterAll(() => root.remove());

/** A store directory like the pristine one whose data.mdb is `bytes`. */
function storeWith(name: string, bytes: Buffer): string {
  const path = join(root.path, name);
  mkdirSync(path);
  copyFileSync(join(pristine, 'shoal.manifest'), join(path, 'shoal.manifest'));
  writeFileSync(join(path, 'data.mdb'), bytes);
  return path;
}

/**
 * Opens every store in one child process (a SIGBUS or SIGABRT would kill it) and returns each
 * store's line: `opened <entries> <intact>` or `<code> <reason>`.
 */
async function openInChild(paths: readonly string[]): Promise<Map<string, string>> {
  const child = runFixture('open-damaged', paths);
  const signal = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_, s) => resolve(s)));
  const { stdout, code } = await output(child);
  const results = new Map<string, string>();
  for (const line of stdout.trim().split('\n').filter(Boolean)) {
    const [path = '', ...rest] = line.split(' ');
    results.set(path, rest.join(' '));
  }
  const crashed = paths.find((path) => !results.has(path));
  expect(await signal, `the child died opening ${crashed}`).toBeNull();
  expect(code, `the child failed opening ${crashed}`).toBe(0);
  return results;
}

/** A damaged store must be refused as corrupt, or (damage in a free page) open with all its data. */
function expectRefusedOrIntact(result: string | undefined, context: string): void {
  if (result?.startsWith('opened'))
    expect(result, `${context}: opened with data lost`).toBe(`opened ${ENTRIES} ${ENTRIES}`);
  else expect(result, context).toMatch(/^CORRUPT_DATA (truncated|damaged|checksum)$/);
}

describe('LmdbStore.open on a damaged data.mdb, in a child process', () => {
  // Regression: a file cut to 51-90 % of its size passed the old "at least half" check and LMDB
  // then faulted (SIGBUS) reading a page past the end.
  it('refuses a truncated file with CORRUPT_DATA instead of dying by SIGBUS', async () => {
    const fractions = [0.51, 0.6, 0.7, 0.8, 0.9, 0.97];
    const paths = fractions.map((fraction) =>
      storeWith(
        `cut-${fraction}`,
        original.subarray(0, Math.floor((original.length * fraction) / pageSize) * pageSize),
      ),
    );
    const results = await openInChild(paths);
    for (const [index, path] of paths.entries()) {
      expectRefusedOrIntact(results.get(path), `cut to ${fractions[index]}`);
    }
    expect(
      [...results.values()].filter((result) => result === 'CORRUPT_DATA truncated').length,
    ).toBeGreaterThan(3);
  }, 60_000);

  // Regression: random page damage gave SIGABRT, raw LMDB errors, or a store opening with most
  // of its keys missing and no complaint. SEED= replays a run; DAMAGE_TRIALS= runs more cases.
  it('refuses random page damage with CORRUPT_DATA, never a crash or a silent loss', async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    let state = seed;
    const random = (below: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state % below;
    };
    const pages = original.length / pageSize;
    const cases = Array.from({ length: Number(process.env.DAMAGE_TRIALS ?? 16) }, (_, trial) => {
      const bytes = Buffer.from(original);
      const page = 2 + random(pages - 2);
      const start = page * pageSize;
      const kind = ['random page', 'flipped bytes', 'zeroed page', 'flipped header'][trial % 4];
      if (kind === 'random page') for (let at = 0; at < pageSize; at++) bytes[start + at] = random(256);
      else if (kind === 'zeroed page') bytes.fill(0, start, start + pageSize);
      else {
        const span = kind === 'flipped header' ? 64 : pageSize;
        for (let flips = 1 + random(8); flips > 0; flips--) bytes[start + random(span)]! ^= 1 << random(8);
      }
      return {
        path: storeWith(`damage-${trial}`, bytes),
        context: `seed ${seed}, trial ${trial}: ${kind} at page ${page}`,
      };
    });
    const results = await openInChild(cases.map(({ path }) => path));
    for (const { path, context } of cases) expectRefusedOrIntact(results.get(path), context);
    expect(
      [...results.values()].some((result) => result.startsWith('CORRUPT_DATA')),
      `seed ${seed}`,
    ).toBe(true);
  }, 60_000);

  it('refuses a damaged meta page and a flipped value bit, opens unreached pages past the end', async () => {
    const meta = Buffer.from(original);
    meta.writeUInt32LE(0xdeadbeef, pageSize + 24); // page 1's magic number
    const value = Buffer.from(original);
    // A byte inside the 9 KiB value of key 0 (on overflow pages: found by its unique prefix).
    const at = value.indexOf(Buffer.from([0, 7, 14, 21, 28, 35, 42, 49]));
    expect(at).toBeGreaterThan(0);
    value[at + 100]! ^= 0x10;
    // Healthy: the meta pages name pages past the end of the file that no tree reaches (LMDB
    // does this after large writes; the old size check refused such a 1M-entry store).
    const tail = Buffer.from(original);
    const lastPage = original.length / pageSize - 1;
    for (const offset of [24, pageSize + 24, pageSize / 2 + 24]) {
      if (tail.readBigUInt64LE(offset + 0x80) > 0n)
        tail.writeBigUInt64LE(BigInt(lastPage * 3), offset + 0x78);
    }
    const paths = [storeWith('meta', meta), storeWith('value', value), storeWith('tail', tail)];
    const results = await openInChild(paths);
    expect(results.get(paths[0]!)).toBe('CORRUPT_DATA foreign');
    expect(results.get(paths[1]!)).toBe('CORRUPT_DATA checksum');
    expect(results.get(paths[2]!)).toBe(`opened ${ENTRIES} ${ENTRIES}`);
  }, 60_000);
});
