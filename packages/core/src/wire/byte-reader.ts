import { asciiString } from './ascii-string.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Thrown only inside {@link ByteReader}; {@link readAll} turns it into a result. Decoders are
 * written as straight-line reads and wrapped once, so no code path can leak an exception.
 */
class OutOfBounds extends Error {}

/**
 * Reads the fields {@link ByteWriter} writes from untrusted bytes. Every read checks bounds
 * first; lengths are checked against what remains before anything is allocated.
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /** All the bytes read from (not only those left). */
  get source(): Uint8Array {
    return this.#bytes;
  }

  get offset(): number {
    return this.#offset;
  }

  readU8(): number {
    this.#need(1);
    return this.#bytes[this.#offset++] as number;
  }

  readU32(): number {
    this.#need(4);
    // By hand, not through a DataView: a reader is made per record and per message, and a
    // view was the dearest part of making one.
    const bytes = this.#bytes;
    const at = this.#offset;
    const value =
      (bytes[at] as number) * 0x1000000 +
      (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number));
    this.#offset += 4;
    return value;
  }

  /** Unsigned LEB128; fails beyond 2^53 (8 bytes of payload bits), so it never loses precision. */
  readVarint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.readU8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) break;
        return value;
      }
      scale *= 0x80;
    }
    throw new OutOfBounds('varint too long');
  }

  /** A varint no greater than `max` (counts and lengths: checked before any allocation). */
  readBoundedVarint(max: number): number {
    const value = this.readVarint();
    if (value > max) throw new OutOfBounds(`value ${value} above bound ${max}`);
    return value;
  }

  /** `length` raw bytes, as a view into the input (copy it to keep it past the input's life). */
  readRaw(length: number): Uint8Array {
    this.#need(length);
    const out = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  /** Skips `length` bytes (bounds-checked); returns where they start. */
  skip(length: number): number {
    this.#need(length);
    const start = this.#offset;
    this.#offset += length;
    return start;
  }

  /** Varint length (at most `maxLength`) then bytes. */
  readBytes(maxLength: number): Uint8Array {
    return this.readRaw(this.readBoundedVarint(Math.min(maxLength, this.remaining)));
  }

  /** Varint byte length (at most `maxBytes`) then strict UTF-8. */
  readString(maxBytes: number): string {
    const length = this.readBoundedVarint(Math.min(maxBytes, this.remaining));
    // Fast path for short ASCII (keys, names, ids): no decoder call, no view.
    if (length <= 32) {
      const start = this.#offset;
      const ascii = asciiString(this.#bytes, start, start + length);
      if (ascii !== undefined) {
        this.#offset += length;
        return ascii;
      }
    }
    const bytes = this.readRaw(length);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new OutOfBounds('invalid UTF-8');
    }
  }

  /** Fails unless every byte was consumed. */
  expectEnd(): void {
    if (this.remaining !== 0) throw new OutOfBounds(`${this.remaining} trailing bytes`);
  }

  /** Fails with `reason` (a semantic check inside a decoder). */
  fail(reason: string): never {
    throw new OutOfBounds(reason);
  }

  #need(count: number): void {
    if (count > this.remaining) throw new OutOfBounds(`needs ${count} bytes, ${this.remaining} left`);
  }
}

/** The outcome of decoding untrusted bytes: a value, or why it was refused. */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/**
 * Runs a decoder over untrusted bytes and turns any bounds or format failure into a
 * `{ ok: false }` result: the single place where decoding exceptions are caught.
 */
export function readAll<T>(bytes: Uint8Array, decode: (reader: ByteReader) => T): DecodeResult<T> {
  try {
    const reader = new ByteReader(bytes);
    const value = decode(reader);
    reader.expectEnd();
    return { ok: true, value };
  } catch (error) {
    // Bounds failures are expected on hostile input; anything else (a library's own error, or a
    // decoder bug) must not escape into a network handler either.
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
