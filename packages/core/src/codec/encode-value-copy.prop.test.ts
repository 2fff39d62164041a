import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepFreeze, handOut } from '../crdt/deep-freeze.js';
import type { Value } from '../crdt/value.js';
import { anyValue } from '../test-support/crdt-arbitraries.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { decodeValue } from './decode-value.js';
import { encodeValue, encodeValueCopy } from './encode-value.js';
import { valueEquals } from './value-equals.js';

/** The private copy `encodeValueCopy` makes of `value`, after checking the bytes it appended. */
function privateCopy(value: Value): Value {
  const sink = new ByteWriter(4).writeU8(7);
  const { copy, length } = encodeValueCopy(value, sink, Number.MAX_SAFE_INTEGER);
  expect(sink.length).toBe(1 + length);
  expect(sink.written().slice(1)).toEqual(encodeValue(value));
  return copy;
}

/** Every object and array inside `value` is frozen. */
function deeplyFrozen(value: Value): boolean {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return true;
  return Object.isFrozen(value) && Object.values(value).every((item) => deeplyFrozen(item as Value));
}

describe('encodeValueCopy', () => {
  it('equals what decoding the encoding gives, key order included, and is deeply frozen once handed out', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const copy = privateCopy(value);
        const decoded = decodeValue(encodeValue(value));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        // Same bytes: same values, same key order. (toStrictEqual would read a `constructor` key
        // as the class.)
        expect(encodeValue(copy)).toEqual(encodeValue(decoded.value));
        expect(valueEquals(copy, decoded.value)).toBe(true);
        expect(deeplyFrozen(handOut(copy))).toBe(true);
      }),
    );
  });

  it('reads each property once, so the copy is what the bytes say even when a getter changes its answer', () => {
    let reads = 0;
    const value = {
      get n() {
        return ++reads;
      },
    };
    const sink = new ByteWriter();
    const { copy } = encodeValueCopy(value as never, sink, 100);
    expect(reads).toBe(1);
    const decoded = decodeValue(sink.finish());
    expect(decoded.ok && decoded.value).toEqual({ n: 1 });
    expect(copy).toEqual({ n: 1 });
  });

  it('appends nothing for a value over the bound, and says how long it is', () => {
    const sink = new ByteWriter();
    expect(encodeValueCopy('x'.repeat(40), sink, 10).length).toBe(42);
    expect(sink.length).toBe(0);
  });

  it('keeps __proto__ as data and never shares the caller’s objects or bytes', () => {
    const bytes = Uint8Array.of(1, 2);
    const source = JSON.parse('{"__proto__": {"x": 1}, "b": [1]}') as Record<string, Value>;
    source.bin = bytes;
    const copy = privateCopy(source) as Record<string, Value>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(copy.bin).not.toBe(bytes);
    expect(copy.b).not.toBe(source.b);
    expect(privateCopy(-0)).toBe(0);
  });

  it('is frozen only when handed out, and a handed-out value is frozen all the way down', () => {
    const copy = privateCopy({ a: { b: [1, { c: 2 }] } }) as { a: { b: [number, { c: number }] } };
    expect(Object.isFrozen(copy)).toBe(false);
    expect(handOut(copy)).toBe(copy);
    expect(Object.isFrozen(copy.a.b[1])).toBe(true);
    expect(() => {
      copy.a.b[1].c = 3;
    }).toThrow(TypeError);
    expect(deepFreeze(copy)).toBe(copy);
    expect(handOut(7)).toBe(7);
    expect(handOut(undefined)).toBe(undefined);
  });
});
