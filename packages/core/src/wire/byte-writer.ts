import { MAX_VARINT_BYTES, stringBound, writeStringAt, writeVarintAt } from './write-at.js';

/**
 * Appends binary fields to a growing buffer. The wire format's building blocks: unsigned
 * LEB128 varints, fixed-width big-endian integers, length-prefixed bytes and strings.
 * Every `writeX` has a matching `readX` on {@link ByteReader}.
 *
 * Sized exactly (`new ByteWriter(size)` for a record of known size), it allocates once and
 * `finish` hands over that array without a copy: persistence writes a record per merged entry.
 * Given an array instead of a size, it writes into that array (one carved from a
 * {@link ByteArena}, say) and allocates nothing while the bytes fit.
 */
export class ByteWriter {
  // No DataView: making one moves a small array's storage off the engine's fast heap.
  #buffer: Uint8Array;
  #length = 0;

  constructor(initial: number | Uint8Array = 64) {
    this.#buffer = typeof initial === 'number' ? new Uint8Array(initial) : initial;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * The array written into, no copy: its first {@link ByteWriter.length} bytes are the ones
   * written. Valid until the next write (which may move them to a larger array).
   */
  get buffer(): Uint8Array {
    return this.#buffer;
  }

  /** Forgets the bytes written and keeps the array, for a writer reused per record. */
  clear(): void {
    this.#length = 0;
  }

  writeU8(value: number): this {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
    return this;
  }

  writeU32(value: number): this {
    this.#reserve(4);
    const buffer = this.#buffer;
    const at = this.#length;
    buffer[at] = value >>> 24;
    buffer[at + 1] = (value >>> 16) & 0xff;
    buffer[at + 2] = (value >>> 8) & 0xff;
    buffer[at + 3] = value & 0xff;
    this.#length += 4;
    return this;
  }

  /** Unsigned LEB128 of a safe integer in [0, 2^53). */
  writeVarint(value: number): this {
    // Reserving the most a varint takes is cheaper than sizing this one first.
    this.#reserve(MAX_VARINT_BYTES);
    this.#length = writeVarintAt(this.#buffer, this.#length, value);
    return this;
  }

  /** Raw bytes, no length prefix. */
  writeRaw(bytes: Uint8Array): this {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  /**
   * Raw bytes `source[start, end)`, no length prefix and no view of `source` (making one costs
   * more than copying a short range).
   */
  writeRange(source: Uint8Array, start: number, end: number): this {
    const length = end - start;
    this.#reserve(length);
    const buffer = this.#buffer;
    const at = this.#length;
    if (length > 64) buffer.set(source.subarray(start, end), at);
    else for (let i = 0; i < length; i++) buffer[at + i] = source[start + i] as number;
    this.#length += length;
    return this;
  }

  /** Varint length, then the bytes. */
  writeBytes(bytes: Uint8Array): this {
    return this.writeVarint(bytes.length).writeRaw(bytes);
  }

  /** Varint byte length, then UTF-8. */
  writeString(value: string): this {
    this.#reserve(stringBound(value));
    this.#length = writeStringAt(this.#buffer, this.#length, value);
    return this;
  }

  /**
   * The bytes written, owned by the caller: the buffer itself when it is exactly full (any later
   * write would move to a new one), else a copy.
   */
  finish(): Uint8Array {
    return this.#length === this.#buffer.length ? this.#buffer : this.#buffer.slice(0, this.#length);
  }

  /** The bytes written so far as a view, no copy: valid until the next write or rewind. */
  written(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    let capacity = Math.max(16, this.#buffer.length * 2);
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}

/** Bytes a varint of `value` takes. */
export function varintSize(value: number): number {
  let size = 1;
  let rest = value;
  while (rest >= 0x80) {
    size++;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}
