/**
 * @shoal/storage-lmdb: a durable {@link @shoal/core!KeyValueStore} for Node on LMDB. Open one per node
 * with {@link LmdbStore.open} and pass it to `Coordinator.create({ storage })`.
 *
 * @packageDocumentation
 */
export { type LmdbDurability, LmdbStore, type LmdbStoreOptions, type LmdbStoreStats } from './lmdb-store.js';
