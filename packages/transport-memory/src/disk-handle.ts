import {
  type BatchOperation,
  ErrorCode,
  type KeyRange,
  type KeyValueStore,
  type MemoryStore,
  type PackedBatch,
  ShoalError,
} from '@shoal/core';

/**
 * One incarnation's view of a simulated node's disk. Closing it closes only this view: the
 * disk (a {@link MemoryStore} the network keeps) survives, so a restarted node reopens the
 * same data. After `close()` every call rejects with `ShoalError` `CLOSED`.
 */
export class DiskHandle implements KeyValueStore {
  readonly #disk: MemoryStore;
  #closed = false;

  constructor(disk: MemoryStore) {
    this.#disk = disk;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    return this.#disk.get(key);
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    return this.#disk.getSync(key);
  }

  *scanSync(range: KeyRange): IterableIterator<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    yield* this.#disk.scanSync(range);
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#checkOpen();
    return this.#disk.put(key, value);
  }

  async delete(key: Uint8Array): Promise<void> {
    this.#checkOpen();
    return this.#disk.delete(key);
  }

  async batch(operations: readonly BatchOperation[]): Promise<void> {
    this.#checkOpen();
    return this.#disk.batch(operations);
  }

  async batchPacked(batch: PackedBatch): Promise<void> {
    this.#checkOpen();
    return this.#disk.batchPacked(batch);
  }

  async *scan(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    yield* this.#disk.scan(prefix);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ShoalError(ErrorCode.Closed, 'simulated storage handle is closed');
  }
}
