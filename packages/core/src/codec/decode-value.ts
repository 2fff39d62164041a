import { plainObject } from '../crdt/plain-object.js';
import type { Value } from '../crdt/value.js';
import { asciiString } from '../wire/ascii-string.js';
import type { DecodeResult } from '../wire/byte-reader.js';
import { KeyCache } from './key-cache.js';
import { Tag } from './msgpack-tags.js';
import { resolveLimits, type ValueLimits } from './value-limits.js';

const TWO_32 = 2 ** 32;
/** Strings shorter than this are decoded by hand when ASCII: cheaper than a native call. */
const NATIVE_UTF8_MIN = 32;
// `fatal` refuses malformed UTF-8 (and so any surrogate code point); `ignoreBOM` keeps a
// leading U+FEFF as part of the string instead of silently dropping it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Floats are read by copying their bytes here: cheaper than a DataView over every input, and
// safe to share because decoding is synchronous and never re-entered.
const floatBytes = new Uint8Array(8);
const floatView = new DataView(floatBytes.buffer);
const keyCache = new KeyCache();

/** Internal: thrown by {@link ValueReader}, turned into a result once by {@link decodeValue}. */
class Malformed {
  constructor(readonly reason: string) {}
}

/**
 * Decodes one {@link Value} from untrusted MessagePack bytes. Total: never throws for any
 * input (only for malformed `limits`: `INVALID_ARGUMENT`), never loops, and allocates at most
 * in proportion to the input, because every declared length and count is checked against
 * `limits` and against the bytes that remain before anything is allocated. Depth is bounded
 * by `limits.maxDepth`, so recursion is too.
 *
 * What comes out is exactly a {@link Value}: objects are ordinary objects whose keys (even
 * `__proto__`) are own data properties, as from `JSON.parse`; binary is a fresh `Uint8Array`
 * (never a `Buffer`, never a view of `bytes`); numbers are finite and `-0` becomes `0`.
 * Refused with `ok: false`: extension types, non-string or duplicate object keys, NaN and
 * ±Infinity, 64-bit integers beyond ±(2^53 - 1), malformed UTF-8, trailing bytes, and anything
 * beyond `limits`.
 */
export function decodeValue(bytes: Uint8Array, limits?: Partial<ValueLimits>): DecodeResult<Value> {
  return decodeValueRange(bytes, 0, bytes.length, limits);
}

/**
 * {@link decodeValue} of `bytes[start .. end)`, without a view of that range (a merge decodes
 * a value per entry out of one message). Offsets outside `bytes` are refused with `ok: false`.
 */
export function decodeValueRange(
  bytes: Uint8Array,
  start: number,
  end: number,
  limits?: Partial<ValueLimits>,
): DecodeResult<Value> {
  const resolved = resolveLimits(limits);
  if (
    !(
      Number.isSafeInteger(start) &&
      Number.isSafeInteger(end) &&
      0 <= start &&
      start <= end &&
      end <= bytes.length
    )
  ) {
    return { ok: false, error: `range ${start}..${end} outside ${bytes.length} bytes` };
  }
  if (end - start > resolved.maxBytes) {
    return { ok: false, error: `${end - start} bytes, above maxBytes ${resolved.maxBytes}` };
  }
  const reader = new ValueReader(bytes, start, end, resolved);
  try {
    const value = reader.read(0);
    if (reader.offset !== end) {
      return { ok: false, error: `${end - reader.offset} trailing bytes after the value` };
    }
    return { ok: true, value };
  } catch (error) {
    if (error instanceof Malformed)
      return { ok: false, error: `${error.reason} (at byte ${reader.offset - start})` };
    throw error;
  }
}

/** A recursive-descent MessagePack reader for the {@link Value} subset. */
class ValueReader {
  readonly #bytes: Uint8Array;
  /** Where the value's bytes end in `#bytes`. */
  readonly #end: number;
  readonly #limits: ValueLimits;
  #offset: number;

  constructor(bytes: Uint8Array, start: number, end: number, limits: ValueLimits) {
    this.#bytes = bytes;
    this.#offset = start;
    this.#end = end;
    this.#limits = limits;
  }

  get offset(): number {
    return this.#offset;
  }

  /** Reads a value nested in `depth` containers. */
  read(depth: number): Value {
    const tag = this.#u8();
    if (tag <= Tag.PositiveFixintMax) return tag;
    if (tag >= Tag.NegativeFixintMin) return tag - 0x100;
    if (tag <= Tag.FixmapMax) return this.#readObject(tag & 0x0f, depth);
    if (tag <= Tag.FixarrayMax) return this.#readArray(tag & 0x0f, depth);
    if (tag <= Tag.FixstrMax) return this.#readString(tag & 0x1f);
    switch (tag) {
      case Tag.Nil:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Bin8:
        return this.#readBinary(this.#u8());
      case Tag.Bin16:
        return this.#readBinary(this.#u16());
      case Tag.Bin32:
        return this.#readBinary(this.#u32());
      case Tag.Float32:
        return finite(this.#float(4));
      case Tag.Float64:
        return finite(this.#float(8));
      case Tag.Uint8:
        return this.#u8();
      case Tag.Uint16:
        return this.#u16();
      case Tag.Uint32:
        return this.#u32();
      case Tag.Uint64:
        return this.#uint64();
      case Tag.Int8:
        return (this.#u8() << 24) >> 24;
      case Tag.Int16:
        return (this.#u16() << 16) >> 16;
      case Tag.Int32:
        return this.#u32() | 0;
      case Tag.Int64:
        return this.#int64();
      case Tag.Str8:
        return this.#readString(this.#u8());
      case Tag.Str16:
        return this.#readString(this.#u16());
      case Tag.Str32:
        return this.#readString(this.#u32());
      case Tag.Array16:
        return this.#readArray(this.#u16(), depth);
      case Tag.Array32:
        return this.#readArray(this.#u32(), depth);
      case Tag.Map16:
        return this.#readObject(this.#u16(), depth);
      case Tag.Map32:
        return this.#readObject(this.#u32(), depth);
      default:
        // 0xc1 (never used) and the extension types: a Value has no such thing.
        throw new Malformed(`unsupported MessagePack type 0x${tag.toString(16)}`);
    }
  }

  #readArray(count: number, depth: number): Value[] {
    this.#enter(depth, count, 1);
    const array: Value[] = [];
    for (let i = 0; i < count; i++) array.push(this.read(depth + 1));
    return array;
  }

  #readObject(count: number, depth: number): Record<string, Value> {
    this.#enter(depth, count, 2);
    const object = plainObject<Value>(count);
    for (let i = 0; i < count; i++) {
      const key = this.#readKey();
      const value = this.read(depth + 1);
      if (Object.hasOwn(object, key)) throw new Malformed(`duplicate object key ${JSON.stringify(key)}`);
      // Assigning `__proto__` would set the prototype; define it as plain data instead.
      if (key === '__proto__') {
        Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
      } else object[key] = value;
    }
    return object;
  }

  /** Checks a container's depth and declared count (each entry needs `minBytes`) up front. */
  #enter(depth: number, count: number, minBytes: number): void {
    if (depth >= this.#limits.maxDepth)
      throw new Malformed(`nested deeper than maxDepth ${this.#limits.maxDepth}`);
    if (count > this.#limits.maxEntries) {
      throw new Malformed(`${count} entries, above maxEntries ${this.#limits.maxEntries}`);
    }
    if (count * minBytes > this.#end - this.#offset) {
      throw new Malformed(`${count} entries declared, only ${this.#end - this.#offset} bytes left`);
    }
  }

  #readKey(): string {
    const tag = this.#u8();
    let length: number;
    if (tag >= Tag.FixstrMin && tag <= Tag.FixstrMax) length = tag & 0x1f;
    else if (tag === Tag.Str8) length = this.#u8();
    else if (tag === Tag.Str16) length = this.#u16();
    else if (tag === Tag.Str32) length = this.#u32();
    else throw new Malformed(`object key of type 0x${tag.toString(16)}, not a string`);
    if (length > this.#limits.maxStringBytes || length > this.#end - this.#offset) {
      return this.#readString(length);
    }
    const key = keyCache.lookup(this.#bytes, this.#offset, length);
    if (key === undefined) return this.#readString(length);
    this.#offset += length;
    return key;
  }

  #readString(length: number): string {
    if (length > this.#limits.maxStringBytes) {
      throw new Malformed(`string of ${length} bytes, above maxStringBytes ${this.#limits.maxStringBytes}`);
    }
    const start = this.#take(length);
    const bytes = this.#bytes;
    if (length < NATIVE_UTF8_MIN)
      return asciiString(bytes, start, start + length) ?? decodeUtf8(bytes, start, length);
    return decodeUtf8(bytes, start, length);
  }

  #readBinary(length: number): Uint8Array {
    if (length > this.#limits.maxBinaryBytes) {
      throw new Malformed(`binary of ${length} bytes, above maxBinaryBytes ${this.#limits.maxBinaryBytes}`);
    }
    const start = this.#take(length);
    // A copy in a plain Uint8Array: never a Buffer, never pinning the (maybe large) input.
    const out = new Uint8Array(length);
    out.set(this.#bytes.subarray(start, start + length));
    return out;
  }

  #uint64(): number {
    const high = this.#u32();
    const low = this.#u32();
    if (high > 0x1f_ffff) throw new Malformed('uint64 above 2^53 - 1 would lose precision');
    return high * TWO_32 + low;
  }

  #int64(): number {
    const high = this.#u32() | 0;
    const value = high * TWO_32 + this.#u32();
    if (!Number.isSafeInteger(value)) throw new Malformed('int64 beyond ±(2^53 - 1) would lose precision');
    return value;
  }

  #u8(): number {
    return this.#bytes[this.#take(1)] as number;
  }

  #u16(): number {
    const at = this.#take(2);
    return ((this.#bytes[at] as number) << 8) | (this.#bytes[at + 1] as number);
  }

  #u32(): number {
    const at = this.#take(4);
    const bytes = this.#bytes;
    // `* 2^24` rather than `<< 24`, which would turn a high top bit negative.
    return (
      (bytes[at] as number) * 0x100_0000 +
      (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
    );
  }

  /** A big-endian float32 or float64. */
  #float(size: 4 | 8): number {
    const at = this.#take(size);
    for (let i = 0; i < size; i++) floatBytes[i] = this.#bytes[at + i] as number;
    return size === 4 ? floatView.getFloat32(0) : floatView.getFloat64(0);
  }

  /** Claims `count` bytes and returns where they start, or fails if fewer remain. */
  #take(count: number): number {
    const at = this.#offset;
    if (count > this.#end - at) {
      throw new Malformed(`needs ${count} bytes, only ${this.#end - at} left`);
    }
    this.#offset = at + count;
    return at;
  }
}

function decodeUtf8(bytes: Uint8Array, start: number, length: number): string {
  try {
    return utf8.decode(bytes.subarray(start, start + length));
  } catch {
    throw new Malformed('string is not valid UTF-8');
  }
}

/** JSON has no NaN or ±Infinity; `-0` reads as `0`, as the encoder writes it. */
function finite(value: number): number {
  if (!Number.isFinite(value)) throw new Malformed(`non-finite number ${value}`);
  return value === 0 ? 0 : value;
}
