import type { BatchOperation, PackedBatch } from '../ports/key-value-store.js';
import { writeRawAt } from '../wire/write-at.js';

/** Offsets per operation: key start, key end (value start), value end or {@link DELETE}. */
const SLOTS = 3;
/** The value end of a delete. */
const DELETE = -1;

/**
 * A storage batch being built, packed as a {@link PackedBatch}: records are encoded straight
 * into one growing buffer and an operation costs three offsets, instead of a key array, a
 * value array and an operation object, which all lived until the batch was written and were a
 * large part of the collector's work on a write-heavy turn.
 *
 * An operation is written by reserving room for it ({@link BatchBuffer.reserve}), encoding key
 * and value into {@link BatchBuffer.bytes} from there, then ending it with
 * {@link BatchBuffer.endPut} or {@link BatchBuffer.endDelete}.
 */
export class BatchBuffer implements PackedBatch {
  #bytes = new Uint8Array(4096);
  /** Bytes used: where the next operation starts. */
  #length = 0;
  #offsets = new Int32Array(SLOTS * 64);
  #count = 0;

  /** Operations written. */
  get count(): number {
    return this.#count;
  }

  /** Bytes used by the operations written. */
  get length(): number {
    return this.#length;
  }

  /** The buffer (longer than the operations need): valid until the next {@link BatchBuffer.reserve}. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** The offsets of the operations written (and unused room after them). */
  get offsets(): Int32Array {
    return this.#offsets;
  }

  /** Makes room for an operation of at most `size` bytes; returns where it starts. */
  reserve(size: number): number {
    const needed = this.#length + size;
    if (needed > this.#bytes.length) {
      let capacity = this.#bytes.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    if (SLOTS * (this.#count + 1) > this.#offsets.length) {
      const grown = new Int32Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    return this.#length;
  }

  /** Ends a put written in reserved room: key at `[this.length, keyEnd)`, value up to `end`. */
  endPut(keyEnd: number, end: number): void {
    this.#end(keyEnd, end, end);
  }

  /** Ends a delete written in reserved room: key at `[this.length, keyEnd)`. */
  endDelete(keyEnd: number): void {
    this.#end(keyEnd, DELETE, keyEnd);
  }

  #end(keyEnd: number, valueEnd: number, end: number): void {
    const slot = SLOTS * this.#count;
    this.#offsets[slot] = this.#length;
    this.#offsets[slot + 1] = keyEnd;
    this.#offsets[slot + 2] = valueEnd;
    this.#length = end;
    this.#count++;
  }

  /** Appends a copy of `operation`. */
  add(operation: BatchOperation): void {
    const value = operation.type === 'put' ? operation.value : undefined;
    const start = this.reserve(operation.key.length + (value?.length ?? 0));
    const keyEnd = writeRawAt(this.#bytes, start, operation.key);
    if (value === undefined) this.endDelete(keyEnd);
    else this.endPut(keyEnd, writeRawAt(this.#bytes, keyEnd, value));
  }

  /** Appends a copy of every operation of `batch`. */
  addAll(batch: PackedBatch): void {
    for (const operation of unpackBatch(batch)) this.add(operation);
  }

  /** Keeps the first `count` operations and drops the rest. */
  truncate(count: number): void {
    if (count >= this.#count) return;
    this.#length = count === 0 ? 0 : (this.#offsets[SLOTS * count] as number);
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
