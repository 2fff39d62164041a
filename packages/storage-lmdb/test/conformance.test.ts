import type { KeyValueStore } from '@shoal/core';
import { describeKeyValueStoreConformance } from '@shoal/testkit';
import { LmdbStore } from '../src/index.js';
import { tempDirectory } from './temp-directory.js';

for (const durability of ['flush', 'commit'] as const) {
  describeKeyValueStoreConformance(
    `LmdbStore (durability ${durability})`,
    async () => {
      const directory = tempDirectory();
      const path = `${directory.path}/store`;
      let current: KeyValueStore = await LmdbStore.open(path, { durability });
      return {
        store: current,
        async reopen() {
          current = await LmdbStore.open(path, { durability });
          return current;
        },
        async teardown() {
          await current.close();
          directory.remove();
        },
      };
    },
    { numRuns: 25 },
  );
}
