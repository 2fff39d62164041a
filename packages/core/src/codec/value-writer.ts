import type { ByteWriter } from '../wire/byte-writer.js';
import { Tag } from './msgpack-tags.js';

/** Strings at least this long go through the native encoder; shorter ones are cheaper by hand. */
const NATIVE_UTF8_MIN = 64;
const utf8 = new TextEncoder();
/** In `u` mode a surrogate pair is one code point, so this matches only unpaired surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Writes the MessagePack subset a {@link Value} needs into a growable buffer, always in the
 * shortest form, so equal values encode to equal bytes. It validates nothing but strings:
 * callers check types and limits first.
 */
export class ValueWriter {
  #buffer = new Uint8Array(256);
  #view = new DataView(this.#buffer.buffer);
  #length = 0;

  /** Bytes written since the last {@link ValueWriter.reset}. */
  get length(): number {
    return this.#length;
  }

  /** Forgets what was written; drops a large buffer so one big value does not pin memory. */
  reset(): void {
    this.#length = 0;
    if (this.#buffer.length > 64 * 1024) {
      this.#buffer = new Uint8Array(256);
      this.#view = new DataView(this.#buffer.buffer);
    }
  }

  /** A right-sized copy of the bytes written. */
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }

  /** Appends the bytes written to `sink`. */
  copyTo(sink: ByteWriter): void {
    sink.writeRange(this.#buffer, 0, this.#length);
  }

  writeNil(): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = Tag.Nil;
  }

  writeBoolean(value: boolean): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value ? Tag.True : Tag.False;
  }

  /**
   * A finite number: integers in [-2^31, 2^32) in the smallest integer form, anything else
   * as float64. Larger integers are exact in float64 too and take the same 9 bytes as int64;
   * msgpackr writes them so and would read int64 back as a BigInt, so float64 keeps the two
   * interchangeable.
   */
  writeNumber(value: number): void {
    this.#reserve(9);
    if (Number.isInteger(value) && value >= -0x8000_0000 && value <= 0xffff_ffff) this.#writeInteger(value);
    else {
      this.#buffer[this.#length] = Tag.Float64;
      this.#view.setFloat64(this.#length + 1, value);
      this.#length += 9;
    }
  }

  /**
   * A string as strict UTF-8. Returns its byte length, or -1 (writing nothing) when it holds
   * an unpaired surrogate, which UTF-8 cannot carry and which would not round-trip.
   */
  writeString(value: string): number {
    const start = this.#length;
    // The UTF-8 length is unknown until encoded: reserve the header the worst case (3 bytes
    // per UTF-16 unit) needs, encode after it, then move the bytes back if a shorter one fits.
    const worst = value.length * 3;
    const reserved = headerSize(worst);
    this.#reserve(reserved + worst);
    const bytes =
      value.length < NATIVE_UTF8_MIN
        ? this.#utf8ByHand(value, start + reserved)
        : this.#utf8Native(value, start + reserved);
    if (bytes < 0) return -1;
    const needed = headerSize(bytes);
    if (needed !== reserved) {
      this.#buffer.copyWithin(start + needed, start + reserved, start + reserved + bytes);
    }
    this.#length = start;
    this.#writeStringHeader(bytes);
    this.#length += bytes;
    return bytes;
  }

  writeBinary(value: Uint8Array): void {
    const length = value.length;
    this.#reserve(5 + length);
    if (length <= 0xff) {
      this.#buffer[this.#length] = Tag.Bin8;
      this.#buffer[this.#length + 1] = length;
      this.#length += 2;
    } else if (length <= 0xffff) {
      this.#buffer[this.#length] = Tag.Bin16;
      this.#view.setUint16(this.#length + 1, length);
      this.#length += 3;
    } else {
      this.#buffer[this.#length] = Tag.Bin32;
      this.#view.setUint32(this.#length + 1, length);
      this.#length += 5;
    }
    this.#buffer.set(value, this.#length);
    this.#length += length;
  }

  writeArrayHeader(count: number): void {
    this.#writeContainerHeader(count, Tag.FixarrayMin, Tag.Array16, Tag.Array32);
  }

  writeMapHeader(count: number): void {
    this.#writeContainerHeader(count, Tag.FixmapMin, Tag.Map16, Tag.Map32);
  }

  #writeContainerHeader(count: number, fix: number, tag16: number, tag32: number): void {
    this.#reserve(5);
    if (count <= 0x0f) this.#buffer[this.#length++] = fix | count;
    else if (count <= 0xffff) {
      this.#buffer[this.#length] = tag16;
      this.#view.setUint16(this.#length + 1, count);
      this.#length += 3;
    } else {
      this.#buffer[this.#length] = tag32;
      this.#view.setUint32(this.#length + 1, count);
      this.#length += 5;
    }
  }

  #writeStringHeader(bytes: number): void {
    if (bytes <= 0x1f) this.#buffer[this.#length++] = Tag.FixstrMin | bytes;
    else if (bytes <= 0xff) {
      this.#buffer[this.#length] = Tag.Str8;
      this.#buffer[this.#length + 1] = bytes;
      this.#length += 2;
    } else if (bytes <= 0xffff) {
      this.#buffer[this.#length] = Tag.Str16;
      this.#view.setUint16(this.#length + 1, bytes);
      this.#length += 3;
    } else {
      this.#buffer[this.#length] = Tag.Str32;
      this.#view.setUint32(this.#length + 1, bytes);
      this.#length += 5;
    }
  }

  /** An integer in [-2^31, 2^32); the caller reserved 9 bytes. */
  #writeInteger(value: number): void {
    const at = this.#length;
    const buffer = this.#buffer;
    const view = this.#view;
    if (value >= 0) {
      if (value <= Tag.PositiveFixintMax) {
        buffer[at] = value;
        this.#length += 1;
      } else if (value <= 0xff) {
        buffer[at] = Tag.Uint8;
        buffer[at + 1] = value;
        this.#length += 2;
      } else if (value <= 0xffff) {
        buffer[at] = Tag.Uint16;
        view.setUint16(at + 1, value);
        this.#length += 3;
      } else {
        buffer[at] = Tag.Uint32;
        view.setUint32(at + 1, value);
        this.#length += 5;
      }
    } else if (value >= -32) {
      buffer[at] = value & 0xff;
      this.#length += 1;
    } else if (value >= -0x80) {
      buffer[at] = Tag.Int8;
      view.setInt8(at + 1, value);
      this.#length += 2;
    } else if (value >= -0x8000) {
      buffer[at] = Tag.Int16;
      view.setInt16(at + 1, value);
      this.#length += 3;
    } else {
      buffer[at] = Tag.Int32;
      view.setInt32(at + 1, value);
      this.#length += 5;
    }
  }

  #utf8ByHand(value: string, at: number): number {
    const buffer = this.#buffer;
    let out = at;
    for (let i = 0; i < value.length; i++) {
      const unit = value.charCodeAt(i);
      if (unit < 0x80) buffer[out++] = unit;
      else if (unit < 0x800) {
        buffer[out++] = 0xc0 | (unit >> 6);
        buffer[out++] = 0x80 | (unit & 0x3f);
      } else if ((unit & 0xf800) !== 0xd800) {
        buffer[out++] = 0xe0 | (unit >> 12);
        buffer[out++] = 0x80 | ((unit >> 6) & 0x3f);
        buffer[out++] = 0x80 | (unit & 0x3f);
      } else {
        // A high surrogate must be followed by a low one; NaN past the end fails this too.
        const low = value.charCodeAt(i + 1);
        if (unit > 0xdbff || (low & 0xfc00) !== 0xdc00) return -1;
        const point = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        buffer[out++] = 0xf0 | (point >> 18);
        buffer[out++] = 0x80 | ((point >> 12) & 0x3f);
        buffer[out++] = 0x80 | ((point >> 6) & 0x3f);
        buffer[out++] = 0x80 | (point & 0x3f);
        i++;
      }
    }
    return out - at;
  }

  #utf8Native(value: string, at: number): number {
    // TextEncoder silently replaces unpaired surrogates with U+FFFD; refuse them instead.
    if (LONE_SURROGATE.test(value)) return -1;
    return utf8.encodeInto(value, this.#buffer.subarray(at)).written;
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    let capacity = this.#buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/** Header bytes of a string of `bytes` UTF-8 bytes. */
function headerSize(bytes: number): number {
  return bytes <= 0x1f ? 1 : bytes <= 0xff ? 2 : bytes <= 0xffff ? 3 : 5;
}
