import { plainObject } from '../crdt/plain-object.js';
import type { Value, ValueObject } from '../crdt/value.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { ByteWriter } from '../wire/byte-writer.js';
import { DEFAULT_VALUE_LIMITS, resolveLimits, type ValueLimits } from './value-limits.js';
import { ValueWriter } from './value-writer.js';

/** Why {@link encodeValue} refused a value; `details.reason` of its {@link ShoalError}. */
export type UnsupportedValueReason =
  | 'type'
  | 'non-finite-number'
  | 'unpaired-surrogate'
  | 'cycle'
  | 'too-deep'
  | 'too-many-entries'
  | 'string-too-long'
  | 'binary-too-long'
  | 'too-large';

/**
 * Internal: carries a refusal up the recursion, which adds each key to `path` on the way
 * out, so the happy path pays nothing for error locations.
 */
class Refusal {
  /** Keys from the refused value outwards; reversed once, when the message is built. */
  readonly path: (string | number)[] = [];
  /** For a cycle: how many of the innermost `path` keys form one loop. */
  loop = 0;
  constructor(
    public reason: UnsupportedValueReason,
    public what: string,
    readonly container?: object,
  ) {}
}

/**
 * Encodes a {@link Value} as MessagePack (shortest forms, object keys in `Object.keys`
 * order): deterministic for equal input, stateless (any peer decodes it alone) and accepted by
 * {@link decodeValue} under the same `limits`.
 *
 * Accepts `null`, booleans, finite numbers, strings of well-formed Unicode, `Uint8Array`s
 * (a `Buffer` is written as its bytes), arrays and plain objects (prototype `Object.prototype`
 * or `null`) of these, where a key such as `__proto__` is an ordinary own key. Only own
 * enumerable string keys are written: symbol keys and non-enumerable properties are skipped,
 * as `JSON.stringify` skips them. `-0` is written as `0`, as JSON does. Shared (acyclic)
 * references are written once per occurrence.
 *
 * @throws {@link ShoalError} `UNSUPPORTED_VALUE` for anything else (undefined, functions,
 * symbols, bigints, NaN and ±Infinity, array holes, Dates, Maps, class instances, cycles)
 * or beyond `limits`; `details` holds `path` (a JSON Pointer, RFC 6901) and
 * `reason` (an {@link UnsupportedValueReason}). `INVALID_ARGUMENT` for malformed `limits`.
 */
export function encodeValue(value: Value, limits?: Partial<ValueLimits>): Uint8Array {
  const writer = acquireWriter();
  try {
    writeChecked(writer, value, resolveLimits(limits), false);
    return writer.finish();
  } finally {
    releaseWriter(writer);
  }
}

/** What {@link encodeValueCopy} returns. Internal. */
export interface EncodedValue {
  /** The private copy. */
  copy: Value;
  /** Bytes of the encoding: the last this many of the sink. */
  length: number;
}

/** One result, refilled by every call: a write reads it before it makes another. */
const encoded: EncodedValue = { copy: null, length: 0 };

/**
 * {@link encodeValue} appended to `sink`, with a private copy of the value built in the same
 * walk: each property (a getter too) is read once, so the copy is exactly what decoding the
 * bytes gives. A replica keeps the copy; peers and the store get the bytes. The copy is not
 * frozen (see `handOut`). Nothing is appended when the encoding is longer than `maxBytes`.
 * Returns a shared result, valid until the next call. Internal.
 *
 * The bytes are the sink's last `length` when the call returns: a getter in the value may write
 * to the same sink while it is read, before these bytes are appended.
 *
 * @throws {@link ShoalError} `UNSUPPORTED_VALUE` as {@link encodeValue}.
 */
export function encodeValueCopy(value: Value, sink: ByteWriter, maxBytes: number): EncodedValue {
  const writer = acquireWriter();
  try {
    const copy = writeChecked(writer, value, DEFAULT_VALUE_LIMITS, true) as Value;
    const length = writer.length;
    if (length <= maxBytes) writer.copyTo(sink);
    encoded.copy = copy;
    encoded.length = length;
    return encoded;
  } finally {
    releaseWriter(writer);
  }
}

/**
 * Checks that `value` is a {@link Value} within `limits`, exactly as {@link encodeValue}
 * would, and returns its encoded size in bytes (what a per-value size limit should compare).
 *
 * @throws {@link ShoalError} `UNSUPPORTED_VALUE` or `INVALID_ARGUMENT` as {@link encodeValue}.
 */
export function validateValue(value: unknown, limits?: Partial<ValueLimits>): number {
  const writer = acquireWriter();
  try {
    writeChecked(writer, value, resolveLimits(limits), false);
    return writer.length;
  } finally {
    releaseWriter(writer);
  }
}

// One writer is reused so encoding allocates only its result. A getter inside a value may
// re-enter encodeValue; the nested call then finds no spare and takes a fresh writer.
let spare: ValueWriter | undefined = new ValueWriter();

function acquireWriter(): ValueWriter {
  const writer = spare ?? new ValueWriter();
  spare = undefined;
  return writer;
}

function releaseWriter(writer: ValueWriter): void {
  writer.reset();
  spare = writer;
}

/** Writes `value` within `limits`; returns its private copy when `copy` (else undefined). */
function writeChecked(writer: ValueWriter, value: unknown, limits: ValueLimits, copy: boolean): unknown {
  try {
    const copied = write(writer, value, 0, limits, copy);
    if (writer.length > limits.maxBytes) throw tooLarge(writer, limits);
    return copied;
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    const path = error.path.reverse();
    const pointer = path.map((key) => `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
    const where = pointer === '' ? '' : ` at ${pointer}`;
    throw new ShoalError(
      ErrorCode.UnsupportedValue,
      `unsupported value${where}: ${error.what} (a Value is JSON-compatible data or a Uint8Array)`,
      { details: { path: pointer, reason: error.reason } },
    );
  }
}

/**
 * Writes `value`, nested in `depth` containers, or throws a {@link Refusal}. With `copy`, returns
 * what decoding the bytes will give (primitives as they are, `-0` as `0`, fresh containers and
 * binary), built from the same reads; without, a container's copy is `undefined`.
 */
function write(
  writer: ValueWriter,
  value: unknown,
  depth: number,
  limits: ValueLimits,
  copy: boolean,
): unknown {
  if (typeof value === 'string') {
    writeString(writer, value, limits);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Refusal('non-finite-number', `${value} (JSON has no such number)`);
    const number = value === 0 ? 0 : value;
    writer.writeNumber(number);
    return number;
  }
  if (typeof value === 'boolean') writer.writeBoolean(value);
  else if (value === null) writer.writeNil();
  else if (typeof value !== 'object') {
    throw new Refusal('type', value === undefined ? 'undefined' : `a ${typeof value}`);
  } else if (value instanceof Uint8Array) {
    writeBinary(writer, value, limits);
    return copy ? new Uint8Array(value) : undefined;
  } else if (depth >= limits.maxDepth) {
    throw new Refusal('too-deep', `nested deeper than maxDepth ${limits.maxDepth}`, value);
  } else if (Array.isArray(value)) return writeArray(writer, value, depth, limits, copy);
  else return writeObject(writer, value, depth, limits, copy);
  return value;
}

function writeBinary(writer: ValueWriter, value: Uint8Array, limits: ValueLimits): void {
  if (value.length > limits.maxBinaryBytes) {
    throw new Refusal(
      'binary-too-long',
      `${value.length} bytes, above maxBinaryBytes ${limits.maxBinaryBytes}`,
    );
  }
  writer.writeBinary(value);
  if (writer.length > limits.maxBytes) throw tooLarge(writer, limits);
}

function writeString(writer: ValueWriter, value: string, limits: ValueLimits): void {
  // Every UTF-16 unit takes at least one UTF-8 byte: a cheap bound before encoding.
  if (value.length > limits.maxStringBytes) throw stringTooLong(value.length, limits);
  const bytes = writer.writeString(value);
  if (bytes < 0) throw new Refusal('unpaired-surrogate', 'a string with an unpaired surrogate (not UTF-8)');
  if (bytes > limits.maxStringBytes) throw stringTooLong(bytes, limits);
  if (writer.length > limits.maxBytes) throw tooLarge(writer, limits);
}

function writeArray(
  writer: ValueWriter,
  array: readonly unknown[],
  depth: number,
  limits: ValueLimits,
  copy: boolean,
): unknown[] | undefined {
  const count = array.length;
  if (count > limits.maxEntries) throw tooManyEntries(count, limits);
  writer.writeArrayHeader(count);
  const items = copy ? new Array<unknown>(count) : undefined;
  for (let i = 0; i < count; i++) {
    try {
      const item = write(writer, array[i], depth + 1, limits, copy);
      if (items !== undefined) items[i] = item;
    } catch (error) {
      throw within(error, i, array);
    }
  }
  return items;
}

function writeObject(
  writer: ValueWriter,
  object: object,
  depth: number,
  limits: ValueLimits,
  copy: boolean,
): Record<string, unknown> | undefined {
  const prototype = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    throw new Refusal('type', typeof name === 'string' && name !== '' ? `a ${name}` : 'a class instance');
  }
  // Only own enumerable string keys are data, as for JSON.stringify and structuredClone;
  // symbol keys are skipped rather than refused because looking for them costs more than the
  // rest of encoding a small object.
  const keys = Object.keys(object);
  if (keys.length > limits.maxEntries) throw tooManyEntries(keys.length, limits);
  writer.writeMapHeader(keys.length);
  const target = copy ? plainObject<unknown>(keys.length) : undefined;
  for (const key of keys) {
    try {
      writeString(writer, key, limits);
      const item = write(writer, (object as ValueObject)[key], depth + 1, limits, copy);
      if (target === undefined) continue;
      // `target[key] = …` would set the prototype for `__proto__`; a definition never does.
      if (key === '__proto__')
        Object.defineProperty(target, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else target[key] = item;
    } catch (error) {
      throw within(error, key, object);
    }
  }
  return target;
}

/**
 * Adds one path step to a refusal on its way out. A too-deep container met again among its
 * own ancestors is a cycle; the path then keeps the way to its outermost occurrence plus one
 * loop, not the loops walked until the depth limit.
 */
function within(error: unknown, key: string | number, container: object): unknown {
  if (!(error instanceof Refusal) || error.reason === 'too-large') return error;
  error.path.push(key);
  if (error.container !== container) return error;
  if (error.reason === 'too-deep') {
    error.reason = 'cycle';
    error.what = 'a cyclic reference (the object contains itself)';
    error.loop = error.path.length;
  } else if (error.reason === 'cycle') error.path.length = error.loop;
  return error;
}

function tooManyEntries(count: number, limits: ValueLimits): Refusal {
  return new Refusal('too-many-entries', `${count} entries, above maxEntries ${limits.maxEntries}`);
}

function stringTooLong(length: number, limits: ValueLimits): Refusal {
  return new Refusal(
    'string-too-long',
    `a string of at least ${length} UTF-8 bytes, above maxStringBytes ${limits.maxStringBytes}`,
  );
}

function tooLarge(writer: ValueWriter, limits: ValueLimits): Refusal {
  return new Refusal(
    'too-large',
    `an encoding of at least ${writer.length} bytes, above maxBytes ${limits.maxBytes}`,
  );
}
