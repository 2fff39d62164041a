import { MemoryStore } from '@shoal/core';
import { describeKeyValueStoreConformance } from './key-value-store-conformance.js';

// MemoryStore lives only as long as its object, so the harness offers no reopen and the
// persistence test is skipped for it.
describeKeyValueStoreConformance('MemoryStore', () => {
  const store = new MemoryStore();
  return { store, teardown: () => store.close() };
});
