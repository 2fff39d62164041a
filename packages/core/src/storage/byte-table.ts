import type { PackedBatch } from '../ports/key-value-store.js';

/** Ints per record: start, key end (value start), value end, key hash. */
export const RECORD_INTS = 4;
const FIELDS = RECORD_INTS;
/** An empty slot of the hash table (a slot holds a record's number plus one). */
const EMPTY = 0;
/** Largest share of slots in use before the hash table doubles. */
const MAX_LOAD = 0.7;
/** Bytes an arena starts with. */
const FIRST_ARENA = 4096;
/** Most bytes an arena holds: offsets are int32. */
const MAX_ARENA = 2 ** 31 - 1;

/** A snapshot of a {@link ByteTable} in key order: valid whatever is written afterwards. */
export interface SortedRecords {
  /** The bytes the records are in. */
  readonly arena: Uint8Array;
  /** {@link RECORD_INTS} ints per record, in ascending key order: start, key end, value end, hash. */
  readonly records: Int32Array;
}

/**
 * Byte keys mapped to byte values, all held in one byte arena: a record is its bytes and four
 * ints (where it lies and its key's hash) in one dense array, found through an open-addressing
 * hash table of record numbers (linear probing, one int a slot). No object or string per
 * record, so a store of many small records adds almost nothing for the collector to trace.
 * A packed batch is copied into the arena in one call and indexed where it lies.
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
  /** The hash table: per slot, {@link EMPTY} or a record's number plus one. */
  #slots = new Int32Array(16);
  /** {@link FIELDS} ints per record held, records `0 .. #count` in use. */
  #records = new Int32Array(FIELDS * 16);
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
    const held = this.#slots[this.#probe(key, 0, key.length, hashRange(key, 0, key.length))] as number;
    if (held === EMPTY) return undefined;
    const at = FIELDS * (held - 1);
    return this.#arena.slice(this.#records[at + 1], this.#records[at + 2]);
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
    const slot = this.#probe(key, 0, key.length, hashRange(key, 0, key.length));
    if (this.#slots[slot] === EMPTY) return false;
    this.#remove(slot);
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
      const slot = this.#probe(this.#arena, start, keyEnd, hashRange(this.#arena, start, keyEnd));
      if (this.#slots[slot] !== EMPTY) this.#remove(slot);
    }
  }

  /** Every record in ascending (unsigned byte) key order: cached until the next write. */
  sorted(): SortedRecords {
    if (this.#sorted !== undefined) return this.#sorted;
    const arena = this.#arena;
    const held = this.#records;
    const order: number[] = [];
    for (let at = 0; at < FIELDS * this.#count; at += FIELDS) order.push(at);
    order.sort((a, b) =>
      compareRanges(
        arena,
        held[a] as number,
        held[a + 1] as number,
        held[b] as number,
        held[b + 1] as number,
      ),
    );
    const records = new Int32Array(FIELDS * order.length);
    for (let i = 0; i < order.length; i++) {
      const at = order[i] as number;
      for (let field = 0; field < FIELDS; field++) records[FIELDS * i + field] = held[at + field] as number;
    }
    this.#sorted = { arena, records };
    return this.#sorted;
  }

  /** Indexes the record at `[start, keyEnd)` (key) and `[keyEnd, end)` (value) of the arena. */
  #index(start: number, keyEnd: number, end: number): void {
    this.#sorted = undefined;
    const hash = hashRange(this.#arena, start, keyEnd);
    const slot = this.#probe(this.#arena, start, keyEnd, hash);
    const held = this.#slots[slot] as number;
    let at: number;
    if (held === EMPTY) {
      if (FIELDS * (this.#count + 1) > this.#records.length) {
        const grown = new Int32Array(FIELDS * Math.ceil(this.#count * 1.5 + 16));
        grown.set(this.#records);
        this.#records = grown;
      }
      at = FIELDS * this.#count;
      this.#count++;
      this.#slots[slot] = this.#count;
    } else {
      at = FIELDS * (held - 1);
      this.#live -= (this.#records[at + 2] as number) - (this.#records[at] as number);
    }
    const records = this.#records;
    records[at] = start;
    records[at + 1] = keyEnd;
    records[at + 2] = end;
    records[at + 3] = hash;
    this.#live += end - start;
    // Only once the record is written: growing rehashes it.
    if (this.#count > MAX_LOAD * this.#slots.length) this.#grow();
  }

  /** The slot holding the key `source[start .. end)`, or the empty slot where it would go. */
  #probe(source: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.#slots;
    const records = this.#records;
    const arena = this.#arena;
    const mask = slots.length - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = slots[slot] as number;
      if (held === EMPTY) return slot;
      const at = FIELDS * (held - 1);
      const keyStart = records[at] as number;
      if (records[at + 3] !== hash || (records[at + 1] as number) - keyStart !== length) continue;
      let i = 0;
      while (i < length && arena[keyStart + i] === source[start + i]) i++;
      if (i === length) return slot;
    }
  }

  /**
   * Drops the record of slot `slot`: empties the slot, shifting back the slots after it that
   * probing would no longer reach, and moves the last record into the dropped one's place.
   */
  #remove(slot: number): void {
    this.#sorted = undefined;
    const slots = this.#slots;
    const records = this.#records;
    const mask = slots.length - 1;
    const removed = (slots[slot] as number) - 1;
    this.#live -= (records[FIELDS * removed + 2] as number) - (records[FIELDS * removed] as number);
    let hole = slot;
    for (let next = (slot + 1) & mask; slots[next] !== EMPTY; next = (next + 1) & mask) {
      const home = (records[FIELDS * ((slots[next] as number) - 1) + 3] as number) & mask;
      // The record of `next` may fill the hole when the hole lies between its home and it.
      if (((next - home) & mask) < ((next - hole) & mask)) continue;
      slots[hole] = slots[next] as number;
      hole = next;
    }
    slots[hole] = EMPTY;
    this.#count--;
    const last = this.#count;
    if (removed === last) return;
    let at = (records[FIELDS * last + 3] as number) & mask;
    while (slots[at] !== last + 1) at = (at + 1) & mask;
    slots[at] = removed + 1;
    records.copyWithin(FIELDS * removed, FIELDS * last, FIELDS * last + FIELDS);
  }

  #grow(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    const records = this.#records;
    for (let record = 0; record < this.#count; record++) {
      let slot = (records[FIELDS * record + 3] as number) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = record + 1;
    }
    this.#slots = slots;
  }

  /**
   * Makes room for `size` more bytes (growing the arena by half, or moving the live records to
   * a fresh one when most of it is garbage); returns where they go.
   */
  #room(size: number): number {
    if (this.#used + size <= this.#arena.length) return this.#used;
    // Offsets are int32: past that the table would wrap rather than fail.
    if (this.#live + size > MAX_ARENA) throw new RangeError(`a ByteTable holds at most ${MAX_ARENA} bytes`);
    const garbage = this.#used - this.#live;
    if (garbage * 2 <= this.#used && this.#used + size <= MAX_ARENA) {
      const grown = new Uint8Array(
        Math.min(MAX_ARENA, Math.max(this.#used + size, Math.ceil(this.#arena.length * 1.5))),
      );
      grown.set(this.#arena.subarray(0, this.#used));
      this.#arena = grown;
      return this.#used;
    }
    // A fresh arena, not one compacted in place: a sorted snapshot may still read the old one.
    const arena = new Uint8Array(
      Math.min(MAX_ARENA, Math.max(FIRST_ARENA, Math.ceil((this.#live + size) * 1.5))),
    );
    const old = this.#arena;
    const records = this.#records;
    let used = 0;
    for (let at = 0; at < FIELDS * this.#count; at += FIELDS) {
      const start = records[at] as number;
      const end = records[at + 2] as number;
      arena.set(old.subarray(start, end), used);
      records[at] = used;
      records[at + 1] = used + (records[at + 1] as number) - start;
      records[at + 2] = used + end - start;
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
