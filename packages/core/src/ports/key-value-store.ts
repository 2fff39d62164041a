/** One write inside a {@link KeyValueStore.batch}. */
export type BatchOperation =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: Uint8Array };

/**
 * Many operations packed in one buffer: what {@link KeyValueStore.batchPacked} takes. Operation
 * `i` has its key at `bytes[offsets[3i] .. offsets[3i + 1])`; it is a put of the value at
 * `bytes[offsets[3i + 1] .. offsets[3i + 2])`, or a delete when `offsets[3i + 2]` is `-1`.
 * Offsets only grow from one operation to the next. `bytes` and `offsets` may be longer than
 * the operations need: only the first `count` operations count.
 */
export interface PackedBatch {
  /** Number of operations. */
  readonly count: number;
  /** The keys and values of every operation, back to back. */
  readonly bytes: Uint8Array;
  /** Three per operation: key start, key end (where a put's value starts), value end or -1. */
  readonly offsets: Int32Array;
}

/**
 * A small async byte store: the storage port. Domain repositories live in core on top of it,
 * so an adapter stays a few dozen lines.
 *
 * Guarantees an adapter gives:
 * - **Durability**: when `put`, `delete` or `batch` resolves, the write survives a crash of the
 *   process (adapters document whether they also survive power loss).
 * - **Atomicity**: a `batch` is applied all or nothing.
 * - **Ordering**: keys compare as unsigned bytes; `scan` yields entries in ascending key order.
 * - **Isolation**: values passed in and returned are copies the caller may keep and mutate.
 *   Keys and values passed in may be views into a larger shared buffer (the core carves them
 *   from slabs): copy one with `slice()`, never by structured clone or through its `buffer`,
 *   which would take the whole slab.
 * - **Close**: after `close()` resolves every call rejects with a `ShoalError` `CLOSED`.
 */
export interface KeyValueStore {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  delete(key: Uint8Array): Promise<void>;
  /** Applies all operations atomically, in order. */
  batch(operations: readonly BatchOperation[]): Promise<void>;
  /**
   * Optional: {@link KeyValueStore.batch} for operations packed in one buffer, with the same
   * guarantees (atomic, in order). The core then hands a whole batch over as two arrays instead
   * of an object and two arrays per operation: give it when the store can read keys and values
   * straight from ranges of one buffer. The caller leaves `batch` unchanged until the promise
   * settles and may reuse its buffers afterwards: the store must copy what it keeps.
   */
  batchPacked?(batch: PackedBatch): Promise<void>;
  /** All entries whose key starts with `prefix`, in ascending key order. */
  scan(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]>;
  close(): Promise<void>;
  /**
   * Optional, with {@link KeyValueStore.scanSync}: the value of `key`, read synchronously. A
   * store that reads from memory or a memory map gives both, and then a node may keep map
   * entries in it rather than in the heap (`config.mapEntries: 'store'`, ADR 0050). Sees every
   * write whose promise has resolved (and may see one still in flight); returns a copy.
   */
  getSync?(key: Uint8Array): Uint8Array | undefined;
  /**
   * Optional, with {@link KeyValueStore.getSync}: the entries with keys in `[range.start,
   * range.end)`, ascending (descending with `reverse`), at most `range.limit` of them, read
   * synchronously from one snapshot. Keys and values are copies.
   */
  scanSync?(range: KeyRange): Iterable<[Uint8Array, Uint8Array]>;
  /**
   * Optional: how much the store holds, cheaply (no scan), for `node.resourceUsage()`.
   * `bytes` is what the data occupies on its medium.
   */
  stats?(): StoreStats;
}

/** Keys from `start` (included) to `end` (excluded), for {@link KeyValueStore.scanSync}. */
export interface KeyRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  /** Descending key order (from just below `end`). Default false. */
  readonly reverse?: boolean;
  /** Most entries to return. Default all. */
  readonly limit?: number;
}

/** What {@link KeyValueStore.stats} reports. */
export interface StoreStats {
  /** Entries stored. */
  readonly entries: number;
  /** Bytes the data occupies (on disk for a durable store, keys and values for one in memory). */
  readonly bytes: number;
}
