import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type {
  BatchOperation,
  KeyRange,
  KeyValueStore,
  PackedBatch,
  StoreStats,
} from '../ports/key-value-store.js';
import { ByteTable, RECORD_INTS } from './byte-table.js';

/**
 * A {@link KeyValueStore} held in memory: fast, and gone with the process. Tests and
 * simulations use it; a `SimulatedNetwork` keeps one per node across simulated crashes.
 * All writes are "durable" for the lifetime of the object.
 *
 * Keys and values are held in a {@link ByteTable}: one byte arena and a table of ints, no
 * string or array per record (two strings and a hash-table entry per record were most of the
 * memory and of the collector's work of a store holding many small records). A packed batch
 * is copied in with one call.
 */
export class MemoryStore implements KeyValueStore {
  readonly #table = new ByteTable();
  #closed = false;

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    return this.#table.get(key);
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    return this.#table.get(key);
  }

  *scanSync(range: KeyRange): IterableIterator<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    const { arena, records } = this.#table.sorted();
    const first = lowerBound(arena, records, range.start);
    const end = lowerBound(arena, records, range.end);
    let left = range.limit ?? Number.POSITIVE_INFINITY;
    if (range.reverse === true) {
      for (let at = end - RECORD_INTS; at >= first && left-- > 0; at -= RECORD_INTS)
        yield record(arena, records, at);
    } else {
      for (let at = first; at < end && left-- > 0; at += RECORD_INTS) yield record(arena, records, at);
    }
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#checkOpen();
    this.#table.put(key, value);
  }

  async delete(key: Uint8Array): Promise<void> {
    this.#checkOpen();
    this.#table.delete(key);
  }

  async batch(operations: readonly BatchOperation[]): Promise<void> {
    this.#checkOpen();
    // Indexed, not `for…of`: the iterator showed up as an allocation per operation.
    for (let i = 0; i < operations.length; i++) {
      const operation = operations[i] as BatchOperation;
      if (operation.type === 'put') this.#table.put(operation.key, operation.value);
      else this.#table.delete(operation.key);
    }
  }

  async batchPacked(batch: PackedBatch): Promise<void> {
    this.#checkOpen();
    this.#table.putPacked(batch);
  }

  async *scan(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    // Snapshot: writes during iteration do not disturb what is seen. Keys sharing the prefix
    // sit together in key order, from the first key not below the prefix itself.
    const { arena, records } = this.#table.sorted();
    for (let at = lowerBound(arena, records, prefix); at < records.length; at += RECORD_INTS) {
      const start = records[at] as number;
      const keyEnd = records[at + 1] as number;
      if (!hasPrefix(arena, start, keyEnd, prefix)) return;
      yield record(arena, records, at);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Number of entries held (for tests and resource usage). */
  get size(): number {
    return this.#table.size;
  }

  /** Entries and the bytes of their keys and values. */
  stats(): StoreStats {
    this.#checkOpen();
    return { entries: this.#table.size, bytes: this.#table.bytes };
  }

  #checkOpen(): void {
    if (this.#closed) throw new ShoalError(ErrorCode.Closed, 'MemoryStore is closed');
  }
}

/** Copies of the key and value of the record at `at` (in ints) of `records`. */
function record(arena: Uint8Array, records: Int32Array, at: number): [Uint8Array, Uint8Array] {
  const keyEnd = records[at + 1] as number;
  return [arena.slice(records[at], keyEnd), arena.slice(keyEnd, records[at + 2])];
}

/** Where (in ints) the first record of `records` whose key is not below `key` starts. */
function lowerBound(arena: Uint8Array, records: Int32Array, key: Uint8Array): number {
  let low = 0;
  let high = records.length / RECORD_INTS;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (
      compareKey(arena, records[RECORD_INTS * mid] as number, records[RECORD_INTS * mid + 1] as number, key) <
      0
    )
      low = mid + 1;
    else high = mid;
  }
  return RECORD_INTS * low;
}

/** Compares the key `arena[start .. end)` with `key` as unsigned bytes. */
function compareKey(arena: Uint8Array, start: number, end: number, key: Uint8Array): number {
  const length = Math.min(end - start, key.length);
  for (let i = 0; i < length; i++) {
    const diff = (arena[start + i] as number) - (key[i] as number);
    if (diff !== 0) return diff;
  }
  return end - start - key.length;
}

/** True when the key `arena[start .. end)` starts with `prefix`. */
function hasPrefix(arena: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean {
  return end - start >= prefix.length && compareKey(arena, start, start + prefix.length, prefix) === 0;
}
