import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { BatchOperation, KeyValueStore, PackedBatch, StoreStats } from '../ports/key-value-store.js';

/** Bytes per `String.fromCharCode` call: far below any engine's argument-count limit. */
const CHARS_PER_CALL = 4096;

/**
 * A {@link KeyValueStore} held in memory: fast, and gone with the process. Tests and
 * simulations use it; a `SimulatedNetwork` keeps one per node across simulated crashes.
 * All writes are "durable" for the lifetime of the object.
 *
 * Keys and values are held as Latin-1 strings, one char per byte: building one is a single
 * native call, strings of chars below 256 compare exactly as their bytes do unsigned (so `scan`
 * sorts with the engine's own string order), and a short string is about half the memory of
 * the smallest typed array, which matters with a record per entry held.
 */
export class MemoryStore implements KeyValueStore {
  readonly #entries = new Map<string, string>();
  #sorted: [string, string][] | undefined;
  #closed = false;

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const value = this.#entries.get(latin1(key));
    return value === undefined ? undefined : latin1Bytes(value);
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#checkOpen();
    this.#put(key, value);
  }

  async delete(key: Uint8Array): Promise<void> {
    this.#checkOpen();
    this.#delete(key);
  }

  async batch(operations: readonly BatchOperation[]): Promise<void> {
    this.#checkOpen();
    // Indexed, not `for…of`: the iterator showed up as an allocation per operation.
    for (let i = 0; i < operations.length; i++) {
      const operation = operations[i] as BatchOperation;
      if (operation.type === 'put') this.#put(operation.key, operation.value);
      else this.#delete(operation.key);
    }
  }

  async batchPacked(batch: PackedBatch): Promise<void> {
    this.#checkOpen();
    const { bytes, offsets, count } = batch;
    for (let i = 0; i < count; i++) {
      const keyEnd = offsets[3 * i + 1] as number;
      const valueEnd = offsets[3 * i + 2] as number;
      const key = latin1Range(bytes, offsets[3 * i] as number, keyEnd);
      if (valueEnd < 0) {
        if (this.#entries.delete(key)) this.#sorted = undefined;
      } else {
        this.#entries.set(key, latin1Range(bytes, keyEnd, valueEnd));
        this.#sorted = undefined;
      }
    }
  }

  async *scan(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    this.#sorted ??= [...this.#entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const sorted = this.#sorted;
    // Snapshot: writes during iteration do not disturb what is seen. Keys sharing the prefix
    // sit together in key order, from the first key not below the prefix itself.
    const start = latin1(prefix);
    for (let i = lowerBound(sorted, start); i < sorted.length; i++) {
      const [text, value] = sorted[i] as [string, string];
      if (!text.startsWith(start)) return;
      yield [latin1Bytes(text), latin1Bytes(value)];
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Number of entries held (for tests and resource usage). */
  get size(): number {
    return this.#entries.size;
  }

  /** Entries and the bytes of their keys and values. Costs a pass over the entries. */
  stats(): StoreStats {
    this.#checkOpen();
    let bytes = 0;
    for (const [text, value] of this.#entries) bytes += text.length + value.length;
    return { entries: this.#entries.size, bytes };
  }

  #put(key: Uint8Array, value: Uint8Array): void {
    this.#entries.set(latin1(key), latin1(value));
    this.#sorted = undefined;
  }

  #delete(key: Uint8Array): void {
    if (this.#entries.delete(latin1(key))) this.#sorted = undefined;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ShoalError(ErrorCode.Closed, 'MemoryStore is closed');
  }
}

/** The string with one char per byte of `bytes`. */
function latin1(bytes: Uint8Array): string {
  if (bytes.length <= CHARS_PER_CALL) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let text = '';
  for (let start = 0; start < bytes.length; start += CHARS_PER_CALL) {
    const part = bytes.subarray(start, start + CHARS_PER_CALL);
    text += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return text;
}

/** Char codes of a short range, reused: reading a range needs no view of it. */
const codes: number[] = [];

/** {@link latin1} of `bytes[start .. end)`. */
function latin1Range(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length > CHARS_PER_CALL) return latin1(bytes.subarray(start, end));
  codes.length = length;
  for (let i = 0; i < length; i++) codes[i] = bytes[start + i] as number;
  return String.fromCharCode.apply(null, codes);
}

/** The bytes of a string built by {@link latin1}. */
function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Index of the first entry whose key is not below `text`. */
function lowerBound(sorted: readonly [string, string][], text: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as [string, string])[0] < text) low = mid + 1;
    else high = mid;
  }
  return low;
}
