import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { BatchOperation, KeyValueStore } from '../ports/key-value-store.js';
import { compareBytes, startsWith, toHex } from './bytes.js';

/**
 * A {@link KeyValueStore} held in memory: fast, and gone with the process. Tests and
 * simulations use it; a `SimulatedNetwork` keeps one per node across simulated crashes.
 * All writes are "durable" for the lifetime of the object.
 */
export class MemoryStore implements KeyValueStore {
  readonly #entries = new Map<string, { key: Uint8Array; value: Uint8Array }>();
  #sorted: { key: Uint8Array; value: Uint8Array }[] | undefined;
  #closed = false;

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    const entry = this.#entries.get(toHex(key));
    return entry === undefined ? undefined : entry.value.slice();
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
    for (const operation of operations) {
      if (operation.type === 'put') this.#put(operation.key, operation.value);
      else this.#delete(operation.key);
    }
  }

  async *scan(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    this.#sorted ??= [...this.#entries.values()].sort((a, b) => compareBytes(a.key, b.key));
    // Snapshot: writes during iteration do not disturb the order seen.
    for (const entry of this.#sorted) {
      if (startsWith(entry.key, prefix)) yield [entry.key.slice(), entry.value.slice()];
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Number of entries held (for tests and resource usage). */
  get size(): number {
    return this.#entries.size;
  }

  #put(key: Uint8Array, value: Uint8Array): void {
    this.#entries.set(toHex(key), { key: key.slice(), value: value.slice() });
    this.#sorted = undefined;
  }

  #delete(key: Uint8Array): void {
    if (this.#entries.delete(toHex(key))) this.#sorted = undefined;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ShoalError(ErrorCode.Closed, 'MemoryStore is closed');
  }
}
