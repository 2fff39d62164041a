import type { BatchOperation, PackedBatch } from '../ports/key-value-store.js';
import { ByteWriter } from '../wire/byte-writer.js';

/** Offsets per operation: key start, key end (value start), value end or {@link DELETE}. */
const SLOTS = 3;
/** The value end of a delete. */
const DELETE = -1;

/**
 * A storage batch being built, packed as a {@link PackedBatch}: records are encoded straight
 * into one growing buffer (it is a {@link ByteWriter}), an operation costs three offsets instead
 * of a key array, a value array and an operation object, which all lived until the batch was
 * written and were a large part of the collector's work on a write-heavy turn.
 *
 * An operation is written as `startKey()`, the key's bytes, `startValue()`, the value's bytes,
 * `endPut()`; or `startKey()`, the key's bytes, `endDelete()`.
 */
export class BatchBuffer extends ByteWriter implements PackedBatch {
  #offsets = new Int32Array(SLOTS * 64);
  #count = 0;

  /** Operations written. */
  get count(): number {
    return this.#count;
  }

  /** The bytes written so far (a view: valid until the next write). */
  get bytes(): Uint8Array {
    return this.written();
  }

  /** The offsets of the operations written (and unused room after them). */
  get offsets(): Int32Array {
    return this.#offsets;
  }

  /** Starts an operation: its key's bytes follow. */
  startKey(): void {
    const slot = SLOTS * this.#count;
    if (slot + SLOTS > this.#offsets.length) {
      const grown = new Int32Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    this.#offsets[slot] = this.length;
  }

  /** Ends the key of a put: its value's bytes follow. */
  startValue(): void {
    this.#offsets[SLOTS * this.#count + 1] = this.length;
  }

  /** Ends a put. */
  endPut(): void {
    this.#offsets[SLOTS * this.#count + 2] = this.length;
    this.#count++;
  }

  /** Ends the key of a delete, and the delete. */
  endDelete(): void {
    const slot = SLOTS * this.#count;
    this.#offsets[slot + 1] = this.length;
    this.#offsets[slot + 2] = DELETE;
    this.#count++;
  }

  /** Appends a copy of `operation`. */
  add(operation: BatchOperation): void {
    this.startKey();
    this.writeRaw(operation.key);
    if (operation.type === 'delete') {
      this.endDelete();
      return;
    }
    this.startValue();
    this.writeRaw(operation.value);
    this.endPut();
  }

  /** Appends a copy of every operation of `batch`. */
  addAll(batch: PackedBatch): void {
    for (const operation of unpackBatch(batch)) this.add(operation);
  }

  /** Keeps the first `count` operations and drops the rest. */
  truncate(count: number): void {
    if (count >= this.#count) return;
    this.rewind(count === 0 ? 0 : (this.#offsets[SLOTS * count] as number));
    this.#count = count;
  }
}

/** `operations` packed into one buffer. */
export function packBatch(operations: readonly BatchOperation[]): PackedBatch {
  const batch = new BatchBuffer();
  for (const operation of operations) batch.add(operation);
  return batch;
}

/**
 * The operations of a packed batch, each key and value a view into its buffer (for a store
 * without {@link KeyValueStore.batchPacked}). Throws a `RangeError` when offsets are out of
 * order or out of bounds.
 */
export function unpackBatch(batch: PackedBatch): BatchOperation[] {
  const { bytes, offsets, count } = batch;
  if (!Number.isSafeInteger(count) || count < 0 || SLOTS * count > offsets.length)
    throw new RangeError(`a packed batch of ${count} operations with ${offsets.length} offsets`);
  const operations: BatchOperation[] = new Array(count);
  let end = 0;
  for (let i = 0; i < count; i++) {
    const keyStart = offsets[SLOTS * i] as number;
    const keyEnd = offsets[SLOTS * i + 1] as number;
    const valueEnd = offsets[SLOTS * i + 2] as number;
    const last = valueEnd === DELETE ? keyEnd : valueEnd;
    if (keyStart < end || keyEnd < keyStart || last < keyEnd || last > bytes.length)
      throw new RangeError(`operation ${i} of a packed batch is out of order or out of bounds`);
    end = last;
    const key = bytes.subarray(keyStart, keyEnd);
    operations[i] =
      valueEnd === DELETE
        ? { type: 'delete', key }
        : { type: 'put', key, value: bytes.subarray(keyEnd, valueEnd) };
  }
  return operations;
}
