/**
 * @shoal/storage-indexeddb: a durable {@link KeyValueStore} for browsers on IndexedDB. Open one
 * per node with {@link IndexedDbStore.open} and pass it to `Coordinator.create({ storage })`.
 */
export {
  type IndexedDbDurability,
  IndexedDbStore,
  type IndexedDbStoreOptions,
} from './indexeddb-store.js';
