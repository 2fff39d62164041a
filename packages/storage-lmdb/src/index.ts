/**
 * @shoal/storage-lmdb: a durable {@link KeyValueStore} for Node on LMDB. Open one per node
 * with {@link LmdbStore.open} and pass it to `Coordinator.create({ storage })`.
 */
export { type LmdbDurability, LmdbStore, type LmdbStoreOptions } from './lmdb-store.js';
