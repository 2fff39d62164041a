import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isShoalError } from '@shoal/core';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LmdbStore } from '../src/index.js';
import { output, runFixture } from './fixtures/run-fixture.js';
import { tempDirectory } from './temp-directory.js';

async function openError(path: string, options = {}): Promise<unknown> {
  try {
    const store = await LmdbStore.open(path, options);
    await store.close();
  } catch (error) {
    return error;
  }
  throw new Error(`LmdbStore.open(${path}) succeeded`);
}

function expectCorrupt(error: unknown, path: string): void {
  expect(isShoalError(error, ErrorCode.CorruptData), String(error)).toBe(true);
  expect((error as Error).message).toContain(path);
}

let root: ReturnType<typeof tempDirectory>;
let path: string;
beforeEach(() => {
  root = tempDirectory();
  path = join(root.path, 'store');
});
afterEach(() => root.remove());

describe('LmdbStore.open on data that is not a Shoal store', () => {
  it('refuses a path that is a file', async () => {
    writeFileSync(path, 'hello');
    expectCorrupt(await openError(path), path);
  });

  it('refuses a directory holding other files', async () => {
    mkdirSync(path);
    writeFileSync(join(path, 'notes.txt'), 'mine');
    expectCorrupt(await openError(path), path);
  });

  it('refuses a data.mdb of random bytes instead of crashing in LMDB', async () => {
    mkdirSync(path);
    writeFileSync(
      join(path, 'data.mdb'),
      Uint8Array.from({ length: 20_000 }, (_, index) => (index * 7919) & 0xff),
    );
    expectCorrupt(await openError(path), path);
  });

  it('refuses a truncated data.mdb', async () => {
    const store = await LmdbStore.open(path);
    await store.put(Uint8Array.of(1), Uint8Array.of(2));
    await store.close();
    writeFileSync(join(path, 'data.mdb'), readFileSync(join(path, 'data.mdb')).subarray(0, 4200));
    expectCorrupt(await openError(path), path);
  });

  it('refuses an LMDB environment written by something else', async () => {
    const foreign = open({ path, noSubdir: false });
    await foreign.put('user', { name: 'not shoal' });
    await foreign.close();
    expectCorrupt(await openError(path), path);
  });

  it('refuses a store carrying another format marker', async () => {
    const store = await LmdbStore.open(path);
    await store.close();
    const raw = open<Uint8Array, Uint8Array>({
      path,
      noSubdir: false,
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    await raw.put(Buffer.from('\0format'), Buffer.from('shoal-kv-lmdb/99'));
    await raw.close();
    const error = await openError(path);
    expectCorrupt(error, path);
    expect((error as Error).message).toContain('shoal-kv-lmdb/99');
  });

  it('reopens a copied store directory (the format travels with the data)', async () => {
    const store = await LmdbStore.open(path);
    await store.put(Uint8Array.of(1), Uint8Array.of(2));
    await store.close();
    const copy = join(root.path, 'copy');
    mkdirSync(copy);
    copyFileSync(join(path, 'data.mdb'), join(copy, 'data.mdb'));
    const reopened = await LmdbStore.open(copy);
    expect(await reopened.get(Uint8Array.of(1))).toEqual(Uint8Array.of(2));
    await reopened.close();
  });
});

describe('LmdbStore checked reads', () => {
  it('never returns a value whose checksum fails: get and scan reject with CORRUPT_DATA', async () => {
    const store = await LmdbStore.open(path);
    await store.put(Uint8Array.of(9), Uint8Array.of(1, 2, 3));
    // Damage the stored value behind the store's back (same process, same LMDB environment).
    const raw = open<Uint8Array, Uint8Array>({
      path,
      noSubdir: false,
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    const stored = Buffer.from(raw.get(Uint8Array.of(1, 9)) as Uint8Array);
    stored[0]! ^= 0x40;
    await raw.put(Uint8Array.of(1, 9), stored);
    await raw.close();
    const checksum = { code: ErrorCode.CorruptData, details: { reason: 'checksum', path } };
    await expect(store.get(Uint8Array.of(9))).rejects.toMatchObject(checksum);
    const scan = async () => {
      for await (const _ of store.scan(new Uint8Array())) {
        // reading the entry is enough
      }
    };
    await expect(scan()).rejects.toMatchObject(checksum);
    await store.close();
  });
});

describe('LmdbStore arguments and limits', () => {
  it('rejects an empty path and an unknown durability', async () => {
    expect(isShoalError(await openError(''), ErrorCode.InvalidArgument)).toBe(true);
    expect(isShoalError(await openError(path, { durability: 'maybe' }), ErrorCode.InvalidArgument)).toBe(
      true,
    );
  });

  it('accepts keys up to maxKeyBytes and refuses longer ones, changing nothing', async () => {
    const store = await LmdbStore.open(path);
    const longest = new Uint8Array(LmdbStore.maxKeyBytes).fill(0xff);
    await store.put(longest, Uint8Array.of(1));
    expect(await store.get(longest)).toEqual(Uint8Array.of(1));
    const tooLong = new Uint8Array(LmdbStore.maxKeyBytes + 1);
    await expect(store.put(tooLong, Uint8Array.of(1))).rejects.toMatchObject({
      code: ErrorCode.LimitExceeded,
    });
    await expect(
      store.batch([
        { type: 'put', key: Uint8Array.of(5), value: Uint8Array.of(5) },
        { type: 'put', key: tooLong, value: Uint8Array.of(1) },
      ]),
    ).rejects.toMatchObject({ code: ErrorCode.LimitExceeded });
    expect(await store.get(Uint8Array.of(5))).toBeUndefined();
    expect(await store.get(tooLong)).toBeUndefined();
    await store.close();
  });
});

describe('LmdbStore directory lock', () => {
  it('refuses a second open in the same process until the first closes', async () => {
    const first = await LmdbStore.open(path);
    const error = await openError(path);
    expect(isShoalError(error, ErrorCode.Storage)).toBe(true);
    expect((error as Error).message).toContain(String(process.pid));
    await first.close();
    const second = await LmdbStore.open(path);
    await second.close();
  });

  it('refuses an open from another process while this one holds the store', async () => {
    const store = await LmdbStore.open(path);
    const { stdout } = await output(runFixture('open-store', [path]));
    expect(stdout.trim()).toBe('STORAGE locked');
    await store.close();
    const after = await output(runFixture('open-store', [path]));
    expect(after.stdout.trim()).toBe('opened');
  }, 20_000);

  it('takes over a lock left by a process that no longer exists', async () => {
    const store = await LmdbStore.open(path);
    await store.close();
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    writeFileSync(
      join(path, 'shoal.lock'),
      JSON.stringify({ pid: Number(dead), host: hostname(), token: 'dead' }),
    );
    const reopened = await LmdbStore.open(path);
    await reopened.close();
  });

  it('never takes over a lock written on another host', async () => {
    await (await LmdbStore.open(path)).close();
    writeFileSync(
      join(path, 'shoal.lock'),
      JSON.stringify({ pid: 1, host: `not-${hostname()}`, token: 'remote' }),
    );
    expect(isShoalError(await openError(path), ErrorCode.Storage)).toBe(true);
  });

  it('refuses to guess about a lock file it did not write', async () => {
    await (await LmdbStore.open(path)).close();
    writeFileSync(join(path, 'shoal.lock'), 'garbage');
    expectCorrupt(await openError(path), 'shoal.lock');
  });
});
