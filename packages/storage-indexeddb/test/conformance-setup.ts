import type { KeyValueStore } from '@shoal/core';
import type { KeyValueStoreSetup } from '@shoal/testkit';
import { IndexedDbStore } from '../src/index.js';

let databases = 0;

/**
 * The conformance harness for {@link IndexedDbStore}, shared by the Node run (fake-indexeddb)
 * and the Chromium run: a fresh database per test, reopened by name, deleted on teardown.
 */
export const indexedDbSetup: KeyValueStoreSetup = async () => {
  const name = `conformance-${++databases}-${crypto.randomUUID()}`;
  let current: KeyValueStore = await IndexedDbStore.open(name);
  return {
    store: current,
    async reopen() {
      current = await IndexedDbStore.open(name);
      return current;
    },
    async teardown() {
      await current.close();
      await IndexedDbStore.destroy(name);
    },
  };
};
