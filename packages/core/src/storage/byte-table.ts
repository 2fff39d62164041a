import type { PackedBatch } from '../ports/key-value-store.js';

/** Ints per slot of the hash table: record start, key end (value start), value end, key hash. */
export const RECORD_INTS = 4;
const FIELDS = RECORD_INTS;
/** The start of an empty slot. */
const EMPTY = -1;
/** Largest share of slots in use before the table doubles. */
const MAX_LOAD = 0.7;
/** Bytes an arena starts with. */
const FIRST_ARENA = 4096;

/** A snapshot of a {@link ByteTable} in key order: valid whatever is written afterwards. */
export interface SortedRecords {
  /** The bytes the records are in. */
  readonly arena: Uint8Array;
  /** {@link FIELDS} ints per record, in ascending key order: start, key end, value end, hash. */
  readonly records: Int32Array;
}

/**
 * Byte keys mapped to byte values, all held in one byte arena indexed by an open-addressing
 * hash table of ints (linear probing): a record costs its bytes and four ints, with no object
 * or string of its own, so a store of many small records adds almost nothing for the
 * collector to trace. A packed batch is copied into the arena in one call and indexed where it
 * lies.
 *
 * Bytes are never written over once in the arena: a replaced or deleted record's bytes stay as
 * garbage until garbage is more than half the arena and the table moves its live records to a
 * fresh arena. So a {@link SortedRecords} snapshot keeps reading what it saw.
 */
export class ByteTable {
  #arena = new Uint8Array(FIRST_ARENA);
  /** Bytes of the arena in use (live records and garbage). */
  #used = 0;
  /** Bytes of live records. */
  #live = 0;
  #slots = new Int32Array(FIELDS * 16).fill(EMPTY);
  #count = 0;
  #sorted: SortedRecords | undefined;

  /** Number of keys held. */
  get size(): number {
    return this.#count;
  }

  /** Bytes of the keys and values held. */
  get bytes(): number {
    return this.#live;
  }

  /** A copy of the value of `key`, or `undefined`. */
  get(key: Uint8Array): Uint8Array | undefined {
    const at = this.#probe(key, 0, key.length, hashRange(key, 0, key.length));
    const slots = this.#slots;
    if (slots[at] === EMPTY) return undefined;
    return this.#arena.slice(slots[at + 1], slots[at + 2]);
  }

  /** Sets `key` to a copy of `value`. */
  put(key: Uint8Array, value: Uint8Array): void {
    const start = this.#room(key.length + value.length);
    this.#arena.set(key, start);
    this.#arena.set(value, start + key.length);
    this.#used = start + key.length + value.length;
    this.#index(start, start + key.length, this.#used);
  }

  /** Deletes `key`; returns true when it was held. */
  delete(key: Uint8Array): boolean {
    const at = this.#probe(key, 0, key.length, hashRange(key, 0, key.length));
    if (this.#slots[at] === EMPTY) return false;
    this.#remove(at);
    return true;
  }

  /**
   * Applies every operation of `batch` in order, its bytes copied in one call. Throws a
   * `RangeError`, changing nothing, when its offsets are out of order or out of bounds.
   */
  putPacked(batch: PackedBatch): void {
    const { bytes, offsets, count } = batch;
    if (!Number.isSafeInteger(count) || count <= 0) {
      if (count === 0) return;
      throw new RangeError(`a packed batch of ${count} operations`);
    }
    if (3 * count > offsets.length) throw new RangeError('a packed batch with too few offsets');
    const first = offsets[0] as number;
    let end = Math.max(first, 0);
    for (let i = 0; i < count; i++) {
      const start = offsets[3 * i] as number;
      const keyEnd = offsets[3 * i + 1] as number;
      const valueEnd = offsets[3 * i + 2] as number;
      const last = valueEnd < 0 ? keyEnd : valueEnd;
      if (start < end || keyEnd < start || last < keyEnd || last > bytes.length)
        throw new RangeError(`a packed batch's operation ${i} is out of order or out of bounds`);
      end = last;
    }
    const base = this.#room(end - first) - first;
    this.#arena.set(bytes.subarray(first, end), base + first);
    this.#used = base + end;
    for (let i = 0; i < count; i++) {
      const start = base + (offsets[3 * i] as number);
      const keyEnd = base + (offsets[3 * i + 1] as number);
      const valueEnd = offsets[3 * i + 2] as number;
      if (valueEnd >= 0) {
        this.#index(start, keyEnd, base + valueEnd);
        continue;
      }
      const at = this.#probe(this.#arena, start, keyEnd, hashRange(this.#arena, start, keyEnd));
      if (this.#slots[at] !== EMPTY) this.#remove(at);
    }
  }

  /** Every record in ascending (unsigned byte) key order: cached until the next write. */
  sorted(): SortedRecords {
    if (this.#sorted !== undefined) return this.#sorted;
    const arena = this.#arena;
    const slots = this.#slots;
    const order: number[] = [];
    for (let at = 0; at < slots.length; at += FIELDS) if (slots[at] !== EMPTY) order.push(at);
    order.sort((a, b) =>
      compareRanges(
        arena,
        slots[a] as number,
        slots[a + 1] as number,
        slots[b] as number,
        slots[b + 1] as number,
      ),
    );
    const records = new Int32Array(FIELDS * order.length);
    for (let i = 0; i < order.length; i++) {
      const at = order[i] as number;
      for (let field = 0; field < FIELDS; field++) records[FIELDS * i + field] = slots[at + field] as number;
    }
    this.#sorted = { arena, records };
    return this.#sorted;
  }

  /** Indexes the record at `[start, keyEnd)` (key) and `[keyEnd, end)` (value) of the arena. */
  #index(start: number, keyEnd: number, end: number): void {
    const hash = hashRange(this.#arena, start, keyEnd);
    let at = this.#probe(this.#arena, start, keyEnd, hash);
    const slots = this.#slots;
    if (slots[at] === EMPTY) {
      if (this.#count + 1 > MAX_LOAD * (slots.length / FIELDS)) {
        this.#grow();
        at = this.#probe(this.#arena, start, keyEnd, hash);
      }
      this.#count++;
    } else {
      this.#live -= (this.#slots[at + 2] as number) - (this.#slots[at] as number);
    }
    const table = this.#slots;
    table[at] = start;
    table[at + 1] = keyEnd;
    table[at + 2] = end;
    table[at + 3] = hash;
    this.#live += end - start;
    this.#sorted = undefined;
  }

  /** The slot holding the key `source[start .. end)`, or the empty slot where it would go. */
  #probe(source: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.#slots;
    const arena = this.#arena;
    const mask = slots.length - 1;
    const length = end - start;
    for (let at = (hash * FIELDS) & mask; ; at = (at + FIELDS) & mask) {
      const held = slots[at] as number;
      if (held === EMPTY) return at;
      if (slots[at + 3] !== hash || (slots[at + 1] as number) - held !== length) continue;
      let i = 0;
      while (i < length && arena[held + i] === source[start + i]) i++;
      if (i === length) return at;
    }
  }

  /** Empties slot `at`, shifting back the slots after it that probing would no longer reach. */
  #remove(at: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    this.#live -= (slots[at + 2] as number) - (slots[at] as number);
    this.#count--;
    this.#sorted = undefined;
    let hole = at;
    for (let next = (at + FIELDS) & mask; slots[next] !== EMPTY; next = (next + FIELDS) & mask) {
      const home = ((slots[next + 3] as number) * FIELDS) & mask;
      // The record at `next` may fill the hole when the hole lies between its home and it.
      if (((next - home) & mask) < ((next - hole) & mask)) continue;
      slots.copyWithin(hole, next, next + FIELDS);
      hole = next;
    }
    slots[hole] = EMPTY;
  }

  #grow(): void {
    const old = this.#slots;
    const slots = new Int32Array(old.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let from = 0; from < old.length; from += FIELDS) {
      if (old[from] === EMPTY) continue;
      let at = ((old[from + 3] as number) * FIELDS) & mask;
      while (slots[at] !== EMPTY) at = (at + FIELDS) & mask;
      slots[at] = old[from] as number;
      slots[at + 1] = old[from + 1] as number;
      slots[at + 2] = old[from + 2] as number;
      slots[at + 3] = old[from + 3] as number;
    }
    this.#slots = slots;
  }

  /**
   * Makes room for `size` more bytes (growing the arena by half, or moving the live records to
   * a fresh one when most of it is garbage); returns where they go.
   */
  #room(size: number): number {
    if (this.#used + size <= this.#arena.length) return this.#used;
    const garbage = this.#used - this.#live;
    if (garbage * 2 <= this.#used) {
      const grown = new Uint8Array(Math.max(this.#used + size, Math.ceil(this.#arena.length * 1.5)));
      grown.set(this.#arena.subarray(0, this.#used));
      this.#arena = grown;
      return this.#used;
    }
    // A fresh arena, not one compacted in place: a sorted snapshot may still read the old one.
    const arena = new Uint8Array(Math.max(FIRST_ARENA, Math.ceil((this.#live + size) * 1.5)));
    const old = this.#arena;
    const slots = this.#slots;
    let used = 0;
    for (let at = 0; at < slots.length; at += FIELDS) {
      const start = slots[at] as number;
      if (start === EMPTY) continue;
      const end = slots[at + 2] as number;
      arena.set(old.subarray(start, end), used);
      slots[at] = used;
      slots[at + 1] = used + (slots[at + 1] as number) - start;
      slots[at + 2] = used + end - start;
      used += end - start;
    }
    this.#arena = arena;
    this.#used = used;
    this.#sorted = undefined;
    return used;
  }
}

/** FNV-1a of `bytes[start .. end)`, as a non-negative int. */
function hashRange(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash >>> 1;
}

/** Compares `bytes[aStart .. aEnd)` with `bytes[bStart .. bEnd)` as unsigned bytes. */
function compareRanges(
  bytes: Uint8Array,
  aStart: number,
  aEnd: number,
  bStart: number,
  bEnd: number,
): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < length; i++) {
    const diff = (bytes[aStart + i] as number) - (bytes[bStart + i] as number);
    if (diff !== 0) return diff;
  }
  return aEnd - aStart - (bEnd - bStart);
}
