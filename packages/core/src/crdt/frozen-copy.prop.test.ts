import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue } from '../codec/decode-value.js';
import { encodeValue } from '../codec/encode-value.js';
import { valueEquals } from '../codec/value-equals.js';
import { anyValue } from '../test-support/crdt-arbitraries.js';
import { frozenCopy } from './frozen-copy.js';
import type { Value } from './value.js';

/** Every object and array inside `value` is frozen. */
function deeplyFrozen(value: Value): boolean {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return true;
  return Object.isFrozen(value) && Object.values(value).every((item) => deeplyFrozen(item as Value));
}

describe('frozenCopy', () => {
  it('equals what decoding the encoding gives, key order included, and is deeply frozen', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const copy = frozenCopy(value);
        const decoded = decodeValue(encodeValue(value));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        // Same bytes: same values, same key order. (toStrictEqual would read a `constructor` key
        // as the class.)
        expect(encodeValue(copy)).toEqual(encodeValue(decoded.value));
        expect(valueEquals(copy, decoded.value)).toBe(true);
        expect(deeplyFrozen(copy)).toBe(true);
      }),
    );
  });

  it('keeps __proto__ as data and never shares the caller’s objects or bytes', () => {
    const bytes = Uint8Array.of(1, 2);
    const source = JSON.parse('{"__proto__": {"x": 1}, "b": [1]}') as Record<string, Value>;
    source.bin = bytes;
    const copy = frozenCopy(source) as Record<string, Value>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(copy.bin).not.toBe(bytes);
    expect(copy.b).not.toBe(source.b);
    expect(frozenCopy(-0)).toBe(0);
  });
});
