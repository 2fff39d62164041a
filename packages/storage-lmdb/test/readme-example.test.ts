import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LmdbStore } from '../src/index.js';
import { tempDirectory } from './temp-directory.js';

const root = tempDirectory();
afterAll(() => root.remove());

it('runs the README example', async () => {
  const store = await LmdbStore.open(join(root.path, 'data', 'shoal'));
  await store.put(new TextEncoder().encode('greeting'), new TextEncoder().encode('hello'));
  await store.batch([
    { type: 'put', key: Uint8Array.of(1, 2), value: Uint8Array.of(42) },
    { type: 'delete', key: new TextEncoder().encode('greeting') },
  ]);
  const scanned = [];
  for await (const [key, value] of store.scan(Uint8Array.of(1))) scanned.push([key, value]);
  expect(scanned).toEqual([[Uint8Array.of(1, 2), Uint8Array.of(42)]]);
  expect(store.stats()).toMatchObject({ entries: 1, pageSize: expect.any(Number) });
  await store.close();
});
