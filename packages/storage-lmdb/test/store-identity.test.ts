import { copyFileSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '@shoal/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LmdbStore, type LmdbStoreOptions } from '../src/index.js';
import { auditDataset, writeDataset } from './fixtures/dataset.js';
import { tempDirectory } from './temp-directory.js';

let root: ReturnType<typeof tempDirectory>;
let path: string;
beforeEach(() => {
  root = tempDirectory();
  path = join(root.path, 'store');
});
afterEach(() => root.remove());

const key = Uint8Array.of(1);

async function storeHolding(value: number): Promise<void> {
  const store = await LmdbStore.open(path);
  await store.put(key, Uint8Array.of(value));
  await store.close();
}

async function valueAfterOpen(options: LmdbStoreOptions = {}): Promise<number | undefined> {
  const store = await LmdbStore.open(path, options);
  try {
    return (await store.get(key))?.[0];
  } finally {
    await store.close();
  }
}

describe('LmdbStore.open on a store whose data vanished', () => {
  // Regression: both used to open as a brand-new, empty store (a node got a new id, no warning).
  it.each([
    ['deleted', () => rmSync(join(path, 'data.mdb'))],
    ['emptied', () => truncateSync(join(path, 'data.mdb'), 0)],
  ])('refuses a %s data.mdb with DATA_MISSING and changes nothing', async (how, damage) => {
    await storeHolding(7);
    damage();
    await expect(LmdbStore.open(path)).rejects.toMatchObject({
      code: ErrorCode.DataMissing,
      details: { reason: how === 'deleted' ? 'absent' : 'empty' },
      message: expect.stringContaining("ifDataMissing: 'start-fresh'"),
    });
    // Refused twice: the failed open created nothing.
    await expect(LmdbStore.open(path)).rejects.toMatchObject({ code: ErrorCode.DataMissing });
    expect(await valueAfterOpen({ ifDataMissing: 'start-fresh' })).toBeUndefined();
    await storeHolding(8); // the fresh store is a normal store from now on
    expect(await valueAfterOpen()).toBe(8);
  });

  it('creates a store in a new or empty directory without being asked', async () => {
    expect(await valueAfterOpen()).toBeUndefined();
    rmSync(path, { recursive: true });
    await storeHolding(1);
    expect(await valueAfterOpen()).toBe(1);
  });
});

describe('LmdbStore.open on data that is not the data the directory last held', () => {
  it('refuses an older copy of data.mdb (a restored backup) with DATA_REPLACED unless accepted', async () => {
    await storeHolding(1);
    const backup = readFileSync(join(path, 'data.mdb'));
    await storeHolding(2);
    writeFileSync(join(path, 'data.mdb'), backup);
    await expect(LmdbStore.open(path)).rejects.toMatchObject({
      code: ErrorCode.DataReplaced,
      details: { reason: 'older' },
    });
    expect(await valueAfterOpen({ ifDataReplaced: 'accept' })).toBe(1);
    expect(await valueAfterOpen()).toBe(1); // adopted: later opens accept it
  });

  it("refuses another store's data.mdb with DATA_REPLACED", async () => {
    await storeHolding(1);
    const other = join(root.path, 'other');
    await (await LmdbStore.open(other)).close();
    copyFileSync(join(other, 'data.mdb'), join(path, 'data.mdb'));
    await expect(LmdbStore.open(path)).rejects.toMatchObject({
      code: ErrorCode.DataReplaced,
      details: { reason: 'other-store' },
    });
  });

  it('opens a data.mdb copied into a new directory (restoring a backup elsewhere)', async () => {
    await storeHolding(3);
    const copy = join(root.path, 'copy');
    mkdirSync(copy);
    copyFileSync(join(path, 'data.mdb'), join(copy, 'data.mdb'));
    const store = await LmdbStore.open(copy);
    expect(await store.get(key)).toEqual(Uint8Array.of(3));
    await store.close();
  });

  it('refuses a garbled manifest with CORRUPT_DATA; deleting it lets the data open again', async () => {
    await storeHolding(4);
    writeFileSync(join(path, 'shoal.manifest'), '{"storeId": 1}');
    await expect(LmdbStore.open(path)).rejects.toMatchObject({
      code: ErrorCode.CorruptData,
      details: { reason: 'manifest' },
    });
    rmSync(join(path, 'shoal.manifest'));
    expect(await valueAfterOpen()).toBe(4);
  });

  it('rejects unknown values of its options', async () => {
    for (const options of [{ ifDataMissing: 'maybe' }, { ifDataReplaced: 'sure' }]) {
      await expect(LmdbStore.open(path, options as LmdbStoreOptions)).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });
    }
  });
});

describe('LmdbStore.stats', () => {
  it('reports entries, file and used bytes, and follows writes', async () => {
    const store = await LmdbStore.open(path);
    const empty = store.stats();
    expect(empty.entries).toBe(0);
    expect(empty.pageSize).toBeGreaterThanOrEqual(4096);
    await writeDataset(store, 2000);
    const full = store.stats();
    expect(full.entries).toBe(2000);
    expect(full.usedBytes).toBeGreaterThan(empty.usedBytes);
    expect(full.fileBytes).toBeGreaterThanOrEqual(full.usedBytes - full.pageSize * 4);
    expect(full.fileBytes).toBe(readFileSync(join(path, 'data.mdb')).length);
    expect(await auditDataset(store)).toEqual({ entries: 2000, intact: 2000 });
    await store.delete(Uint8Array.of(0));
    await store.close();
    expect(() => store.stats()).toThrow(expect.objectContaining({ code: ErrorCode.Closed }));
  });
});
