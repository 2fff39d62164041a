import { ErrorCode, isShoalError } from '@shoal/core';
import { afterEach, describe, expect, it } from 'vitest';
import { IndexedDbStore } from '../src/index.js';

const names: string[] = [];
const fresh = (): string => {
  const name = `store-${crypto.randomUUID()}`;
  names.push(name);
  return name;
};
afterEach(async () => {
  for (const name of names.splice(0)) await IndexedDbStore.destroy(name).catch(() => {});
});

async function rejection(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function rawOpen(name: string, version: number, upgrade: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => upgrade(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

describe('IndexedDbStore in Chromium', () => {
  it('runs on the browser’s own IndexedDB, not a polyfill', () => {
    expect(navigator.userAgent).toContain('HeadlessChrome');
    expect(Function.prototype.toString.call(indexedDB.open)).toContain('[native code]');
  });

  it('refuses a second open of the same database while the first is open (Web Lock), then allows it', async () => {
    const name = fresh();
    const first = await IndexedDbStore.open(name);
    const error = await rejection(() => IndexedDbStore.open(name));
    expect(isShoalError(error, ErrorCode.Storage)).toBe(true);
    expect((error as { details: { reason: string } }).details.reason).toBe('locked');
    await first.close();
    const second = await IndexedDbStore.open(name);
    await second.close();
  });

  it('refuses a database of that name written by something else, with CORRUPT_DATA', async () => {
    const foreign = fresh();
    (await rawOpen(foreign, 1, (db) => db.createObjectStore('other'))).close();
    expect(isShoalError(await rejection(() => IndexedDbStore.open(foreign)), ErrorCode.CorruptData)).toBe(
      true,
    );

    const newer = fresh();
    (await rawOpen(newer, 7, (db) => db.createObjectStore('entries'))).close();
    expect(isShoalError(await rejection(() => IndexedDbStore.open(newer)), ErrorCode.CorruptData)).toBe(true);
  });

  it('reports CORRUPT_DATA for a stored value that is not bytes', async () => {
    const name = fresh();
    await (await IndexedDbStore.open(name)).close();
    const db = await rawOpen(name, 1, () => {});
    await new Promise<void>((resolve) => {
      const transaction = db.transaction('entries', 'readwrite');
      transaction.objectStore('entries').put('text', Uint8Array.of(1, 7));
      transaction.oncomplete = () => resolve();
    });
    db.close();
    const store = await IndexedDbStore.open(name);
    expect(isShoalError(await rejection(() => store.get(Uint8Array.of(7))), ErrorCode.CorruptData)).toBe(
      true,
    );
    await store.close();
  });

  it('fails later calls with STORAGE once another connection upgrades the database under it', async () => {
    const name = fresh();
    const store = await IndexedDbStore.open(name);
    await store.put(Uint8Array.of(1), Uint8Array.of(1));
    (await rawOpen(name, 2, () => {})).close();
    expect(isShoalError(await rejection(() => store.get(Uint8Array.of(1))), ErrorCode.Storage)).toBe(true);
    await store.close();
  });

  it('rejects bad arguments with INVALID_ARGUMENT', async () => {
    expect(isShoalError(await rejection(() => IndexedDbStore.open('')), ErrorCode.InvalidArgument)).toBe(
      true,
    );
    const badDurability = { durability: 'eventually' } as unknown as { durability: 'strict' };
    expect(
      isShoalError(
        await rejection(() => IndexedDbStore.open(fresh(), badDurability)),
        ErrorCode.InvalidArgument,
      ),
    ).toBe(true);
  });

  it('keeps writes with relaxed durability too', async () => {
    const name = fresh();
    const store = await IndexedDbStore.open(name, { durability: 'relaxed' });
    await store.put(Uint8Array.of(2), Uint8Array.of(3));
    await store.close();
    const reopened = await IndexedDbStore.open(name);
    expect(await reopened.get(Uint8Array.of(2))).toEqual(Uint8Array.of(3));
    await reopened.close();
  });
});
