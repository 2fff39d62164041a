import { describe, expect, it } from 'vitest';
import type { Value } from '../crdt/value.js';
import { ErrorCode, isShoalError } from '../errors/shoal-error.js';
import { decodeValue } from './decode-value.js';
import { encodeValue, type UnsupportedValueReason, validateValue } from './encode-value.js';
import { DEFAULT_VALUE_LIMITS, MAX_DEPTH_CEILING } from './value-limits.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Encodes `value` expecting `UNSUPPORTED_VALUE` with this reason at this JSON Pointer. */
function expectRefused(value: unknown, reason: UnsupportedValueReason, path = '', limits = {}): void {
  let caught: unknown;
  try {
    encodeValue(value as Value, limits);
  } catch (error) {
    caught = error;
  }
  expect(isShoalError(caught, ErrorCode.UnsupportedValue)).toBe(true);
  expect((caught as { details: unknown }).details).toEqual({ path, reason });
  expect(() => validateValue(value, limits)).toThrow((caught as Error).message);
}

function nest(depth: number): Value {
  let value: Value = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('encodeValue', () => {
  it('writes the shortest MessagePack forms (the wire format is fixed)', () => {
    expect(hex(encodeValue({ v: 1, s: 'a' }))).toBe('82a17601a173a161');
    expect(hex(encodeValue([null, true, false]))).toBe('93c0c3c2');
    expect(hex(encodeValue([127, 128, 65_535, 65_536, -32, -33, -129, -32_769]))).toBe(
      '987fcc80cdffffce00010000e0d0dfd1ff7fd2ffff7fff',
    );
    expect(hex(encodeValue(0xffff_ffff))).toBe('ceffffffff');
    expect(hex(encodeValue(2 ** 32))).toBe('cb41f0000000000000');
    expect(hex(encodeValue(-(2 ** 31)))).toBe('d280000000');
    expect(hex(encodeValue(1.5))).toBe('cb3ff8000000000000');
    expect(hex(encodeValue(new Uint8Array([1, 2])))).toBe('c4020102');
    expect(hex(encodeValue('é'))).toBe('a2c3a9');
    expect(hex(encodeValue('x'.repeat(32)))).toBe(`d920${'78'.repeat(32)}`);
  });

  it('writes -0 as 0, as JSON does', () => {
    expect(encodeValue(-0)).toEqual(encodeValue(0));
  });

  it('writes a Buffer as the same bytes as a Uint8Array', () => {
    expect(encodeValue(Buffer.from([1, 2, 3]))).toEqual(encodeValue(new Uint8Array([1, 2, 3])));
  });

  it('accepts null-prototype objects, __proto__ own keys and shared (acyclic) references', () => {
    const shared = { x: 1 };
    const withProto = JSON.parse('{"__proto__": 1}') as Value;
    const bare = Object.assign(Object.create(null) as Record<string, Value>, { a: 1 });
    expect(hex(encodeValue(withProto))).toBe('81a95f5f70726f746f5f5f01');
    expect(encodeValue(bare)).toEqual(encodeValue({ a: 1 }));
    expect(decodeValue(encodeValue([shared, shared]))).toEqual({ ok: true, value: [{ x: 1 }, { x: 1 }] });
  });

  it('keeps strings exact: astral characters, a leading BOM, long non-ASCII text', () => {
    for (const text of ['😀', '\uFEFFbom', 'é€😀'.repeat(100)]) {
      expect(decodeValue(encodeValue(text))).toEqual({ ok: true, value: text });
    }
  });

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a bigint', 1n],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Set', new Set()],
    ['a RegExp', /x/],
    ['a class instance', new (class Point {})()],
    ['a boxed string', Object('x')],
    ['a Uint16Array', new Uint16Array(1)],
    ['an ArrayBuffer', new ArrayBuffer(1)],
  ])('refuses %s', (_, value) => {
    expectRefused(value, 'type');
  });

  it.each([
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ])('refuses the number %d', (value) => {
    expectRefused(value, 'non-finite-number');
  });

  it('says where a nested problem is, as a JSON Pointer', () => {
    expectRefused({ a: [1, { 'b/~c': undefined }] }, 'type', '/a/1/b~1~0c');
    // A hole reads as undefined: JSON would write null, which would not round-trip.
    const holey: unknown[] = [1];
    holey[2] = 3;
    expectRefused(holey, 'type', '/1');
  });

  it('writes only own enumerable string keys, as JSON.stringify does', () => {
    const object = { a: 1, [Symbol('s')]: 2 };
    Object.defineProperty(object, 'hidden', { value: 3, enumerable: false });
    expect(encodeValue(object)).toEqual(encodeValue({ a: 1 }));
  });

  it('refuses unpaired surrogates in values and keys, short or long', () => {
    expectRefused(['\uD800'], 'unpaired-surrogate', '/0');
    expectRefused({ x: `${'a'.repeat(100)}\uDC00` }, 'unpaired-surrogate', '/x');
    expectRefused({ '\uDBFFz': 1 }, 'unpaired-surrogate', '/\uDBFFz');
  });

  it('refuses a cycle, pointing at one full loop from the outermost repeated container', () => {
    const root: { a: unknown[] } = { a: [1] };
    root.a.push(root);
    expectRefused(root, 'cycle', '/a/1');
    // Here the array is the container found repeating: one loop from it is /1/a.
    expectRefused({ outer: root }, 'cycle', '/outer/a/1/a');
  });

  it('accepts exactly maxDepth levels of nesting', () => {
    expect(() => encodeValue(nest(DEFAULT_VALUE_LIMITS.maxDepth))).not.toThrow();
    expectRefused(
      nest(DEFAULT_VALUE_LIMITS.maxDepth + 1),
      'too-deep',
      '/0'.repeat(DEFAULT_VALUE_LIMITS.maxDepth),
    );
    expectRefused([], 'too-deep', '', { maxDepth: 0 });
  });

  it('enforces size limits', () => {
    expectRefused([1, 2, 3], 'too-many-entries', '', { maxEntries: 2 });
    expectRefused({ a: 1, b: 2, c: 3 }, 'too-many-entries', '', { maxEntries: 2 });
    expectRefused({ a: 'éé' }, 'string-too-long', '/a', { maxStringBytes: 3 });
    expectRefused({ abcd: 1 }, 'string-too-long', '/abcd', { maxStringBytes: 3 });
    expectRefused([new Uint8Array(4)], 'binary-too-long', '/0', { maxBinaryBytes: 3 });
    expectRefused(['abc', 'def'], 'too-large', '', { maxBytes: 7 });
    expect(validateValue(['abc', 'def'], { maxBytes: 9 })).toBe(9);
  });

  it('refuses malformed limits as INVALID_ARGUMENT', () => {
    for (const limits of [{ maxDepth: -1 }, { maxBytes: 1.5 }, { maxDepth: MAX_DEPTH_CEILING + 1 }]) {
      expect(() => encodeValue(1, limits)).toThrow(
        expect.objectContaining({ code: ErrorCode.InvalidArgument }),
      );
    }
  });

  it('stays correct when a getter re-enters encodeValue', () => {
    const inner = { deep: 'x'.repeat(40) };
    const value = {
      get a() {
        return encodeValue(inner);
      },
    };
    const decoded = decodeValue(encodeValue(value as unknown as Value));
    expect(decoded).toEqual({ ok: true, value: { a: encodeValue(inner) } });
  });
});
