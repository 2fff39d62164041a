import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../src/index.js';
import { tempDirectory } from './temp-directory.js';

const root = tempDirectory();
afterAll(() => root.remove());

// The open-time walk must never refuse a healthy store: whatever mix of small, page-sized and
// multi-page values, deletes (free-page lists) and transactions got it to its state.
const operation = fc.record({
  key: fc.integer({ min: 0, max: 400 }),
  size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 3000, max: 20_000 })),
  remove: fc.boolean(),
});

describe('LmdbStore reopen after random histories', () => {
  it('always passes its own open-time checks with the data intact', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(operation, { maxLength: 60 }), { minLength: 1, maxLength: 6 }),
        async (rounds) => {
          const path = join(root.path, `store-${run++}`);
          const expected = new Map<number, number>();
          for (const round of rounds) {
            const store = await LmdbStore.open(path);
            const writes = round.map(({ key, size, remove }) => {
              if (remove) {
                expected.delete(key);
                return store.delete(Uint8Array.of(key >> 8, key & 0xff));
              }
              expected.set(key, size);
              return store.put(Uint8Array.of(key >> 8, key & 0xff), new Uint8Array(size).fill(key & 0xff));
            });
            await Promise.all(writes);
            await store.close();
          }
          const store = await LmdbStore.open(path);
          try {
            for (const [key, size] of expected) {
              expect(await store.get(Uint8Array.of(key >> 8, key & 0xff))).toEqual(
                new Uint8Array(size).fill(key & 0xff),
              );
            }
            expect(store.stats().entries).toBe(expected.size);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);
});
