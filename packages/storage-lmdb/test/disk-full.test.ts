import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, isShoalError } from '@shoal/core';
import { afterAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../src/index.js';
import { storageFailure } from '../src/store-errors.js';
import { tempDirectory } from './temp-directory.js';

/** A 2 MiB tmpfs of our own to fill up (needs root); undefined, saying why, where we cannot mount. */
function mountSmallFilesystem(): { path: string; remove(): void } | undefined {
  if (process.getuid?.() !== 0) {
    console.warn('storage-lmdb: disk-full test skipped: mounting a small tmpfs needs root');
    return undefined;
  }
  const directory = tempDirectory();
  const path = join(directory.path, 'mnt');
  mkdirSync(path);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    console.warn(`storage-lmdb: disk-full test skipped: cannot mount a tmpfs (${String(error)})`);
    directory.remove();
    return undefined;
  }
  return {
    path,
    remove() {
      // Lazy: a store a failed test left open must not keep the mount behind.
      execFileSync('umount', ['--lazy', path]);
      directory.remove();
    },
  };
}

const disk = mountSmallFilesystem();
afterAll(() => disk?.remove());

const encoder = new TextEncoder();
const fillValue = (index: number) => new Uint8Array(1000).fill(index & 0xff);

async function rejection(write: Promise<void>): Promise<unknown> {
  return write.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe.skipIf(disk === undefined)('LmdbStore on a full disk (a 2 MiB tmpfs)', () => {
  it('rejects writes with STORAGE_FULL, keeps every acknowledged write readable, recovers with space', async () => {
    const root = disk?.path ?? '';
    const filler = join(root, 'filler');
    writeFileSync(filler, new Uint8Array(256 * 1024)); // freed later, as an operator would
    const path = join(root, 'store');
    let store = await LmdbStore.open(path);
    const acknowledged: number[] = [];
    let failure: unknown;
    for (let index = 0; index < 10_000 && failure === undefined; index++) {
      failure = await rejection(store.put(encoder.encode(`k${index}`), fillValue(index)));
      if (failure === undefined) acknowledged.push(index);
    }
    expect(isShoalError(failure, ErrorCode.StorageFull), String(failure)).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(100);

    // Still full: concurrent writes and a batch are refused the same way, never half applied.
    const more = await Promise.all([
      ...Array.from({ length: 10 }, (_, index) =>
        rejection(store.put(encoder.encode(`c${index}`), fillValue(index))),
      ),
      rejection(
        store.batch(
          Array.from({ length: 10 }, (_, index) => ({
            type: 'put' as const,
            key: encoder.encode(`b${index}`),
            value: new Uint8Array(3000),
          })),
        ),
      ),
    ]);
    for (const error of more)
      if (error !== undefined) expect(isShoalError(error, ErrorCode.StorageFull)).toBe(true);
    const batchApplied = (await store.get(encoder.encode('b0'))) !== undefined;
    for (let index = 0; index < 10; index++) {
      expect((await store.get(encoder.encode(`b${index}`))) !== undefined).toBe(batchApplied);
    }

    // Reads keep working.
    for (const index of acknowledged)
      expect(await store.get(encoder.encode(`k${index}`))).toEqual(fillValue(index));
    expect(store.stats().entries).toBeGreaterThanOrEqual(acknowledged.length);

    // Reopening on the full disk: it records the open (a small write), so it may be refused,
    // with STORAGE_FULL and without killing the process.
    await store.close();
    const reopened = await LmdbStore.open(path).then(
      (opened) => opened,
      (error: unknown) => error,
    );
    if (reopened instanceof LmdbStore) store = reopened;
    else {
      expect(isShoalError(reopened, ErrorCode.StorageFull), String(reopened)).toBe(true);
      rmSync(filler);
      store = await LmdbStore.open(path);
    }

    // Space returns: writes succeed again, and a reopen holds everything acknowledged.
    rmSync(filler, { force: true });
    await store.put(encoder.encode('after'), fillValue(7));
    await store.close();
    store = await LmdbStore.open(path);
    for (const index of acknowledged)
      expect(await store.get(encoder.encode(`k${index}`))).toEqual(fillValue(index));
    expect(await store.get(encoder.encode('after'))).toEqual(fillValue(7));
    await store.close();
  }, 60_000);

  it("refuses with STORAGE_FULL when another file takes the last block, and counts LMDB's short-write EIO there as full", async () => {
    const root = disk?.path ?? '';
    const path = join(root, 'second-store');
    let store = await LmdbStore.open(path);
    for (let index = 0; index < 50; index++) await store.put(encoder.encode(`k${index}`), fillValue(index));
    // Another program takes every free block, as the soak's nemesis does.
    const filler = join(root, 'taken');
    const { bavail, bsize } = statfsSync(root);
    execFileSync('fallocate', ['-l', String(bavail * bsize), filler]);
    let failure: unknown;
    for (let index = 50; index < 2000 && failure === undefined; index++)
      failure = await rejection(store.put(encoder.encode(`k${index}`), fillValue(index)));
    expect(isShoalError(failure, ErrorCode.StorageFull), String(failure)).toBe(true);
    // A commit whose pages the file system took only in part fails with EIO in LMDB: on a
    // full file system that is a full disk; with space left it is an I/O error.
    const shortWrite = Object.assign(new Error('Input/output error'), { code: 'EIO' });
    expect(storageFailure(path, shortWrite).code).toBe(ErrorCode.StorageFull);
    rmSync(filler);
    expect(storageFailure(path, shortWrite).code).toBe(ErrorCode.Storage);
    await store.put(encoder.encode('after'), fillValue(9));
    await store.close();
    store = await LmdbStore.open(path);
    for (let index = 0; index < 50; index++)
      expect(await store.get(encoder.encode(`k${index}`))).toEqual(fillValue(index));
    expect(await store.get(encoder.encode('after'))).toEqual(fillValue(9));
    await store.close();
  }, 60_000);
});
