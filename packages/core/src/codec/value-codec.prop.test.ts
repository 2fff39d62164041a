import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import type { Value } from '../crdt/value.js';
import { ErrorCode, isShoalError } from '../errors/shoal-error.js';
import { anyValue } from '../test-support/crdt-arbitraries.js';
import { decodeValue } from './decode-value.js';
import { encodeValue, validateValue } from './encode-value.js';
import { valueEquals } from './value-equals.js';
import type { ValueLimits } from './value-limits.js';

/** Decoding must yield exactly a Value: plain objects with own data keys, plain Uint8Arrays. */
function expectPlainValue(value: unknown): void {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return;
  if (typeof value === 'number') {
    expect(Number.isFinite(value) && !Object.is(value, -0)).toBe(true);
    return;
  }
  expect(typeof value).toBe('object');
  if (value instanceof Uint8Array) {
    expect(value.constructor).toBe(Uint8Array);
  } else if (Array.isArray(value)) {
    expect(Object.getPrototypeOf(value)).toBe(Array.prototype);
    for (const element of value) expectPlainValue(element);
  } else {
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    for (const name of Reflect.ownKeys(value as object)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, name);
      expect(typeof name === 'string' && descriptor?.enumerable === true && 'value' in descriptor).toBe(true);
      expectPlainValue(descriptor?.value);
    }
  }
}

function hasProtoKey(value: Value): boolean {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return false;
  if (Array.isArray(value)) return value.some(hasProtoKey);
  return Object.hasOwn(value, '__proto__') || Object.values(value).some(hasProtoKey);
}

describe('value codec round trip', () => {
  it('decodes every encoded value to an equal plain value, and re-encodes it to the same bytes', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const bytes = encodeValue(value);
        const decoded = decodeValue(bytes);
        if (!decoded.ok) throw new Error(decoded.error);
        expect(valueEquals(decoded.value, value)).toBe(true);
        expectPlainValue(decoded.value);
        expect(encodeValue(decoded.value)).toEqual(bytes);
        expect(validateValue(value)).toBe(bytes.length);
      }),
      fcParams({ numRuns: 500 }),
    );
  });

  it('refuses a value when encoding exactly when decoding its bytes under the same limits', () => {
    const limits: fc.Arbitrary<ValueLimits> = fc.record({
      maxBytes: fc.nat(400),
      maxDepth: fc.nat(5),
      maxEntries: fc.nat(6),
      maxStringBytes: fc.nat(60),
      maxBinaryBytes: fc.nat(200),
    });
    fc.assert(
      fc.property(anyValue, limits, (value, bounds) => {
        let bytes: Uint8Array | undefined;
        try {
          bytes = encodeValue(value, bounds);
        } catch (error) {
          expect(isShoalError(error, ErrorCode.UnsupportedValue)).toBe(true);
        }
        const decoded = decodeValue(bytes ?? encodeValue(value), bounds);
        expect(decoded.ok).toBe(bytes !== undefined);
      }),
      fcParams({ numRuns: 500 }),
    );
  });

  it('round-trips fast-check JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const value = json as Value;
        const decoded = decodeValue(encodeValue(value));
        expect(decoded.ok && valueEquals(decoded.value, value)).toBe(true);
      }),
      fcParams({ numRuns: 300 }),
    );
  });

  it('interoperates with msgpackr (records off) both ways, except that msgpackr renames __proto__ keys', () => {
    const packr = new Packr({ useRecords: false });
    fc.assert(
      fc.property(
        anyValue.filter((value) => !hasProtoKey(value)),
        (value) => {
          expect(valueEquals(packr.unpack(encodeValue(value)), value)).toBe(true);
          const decoded = decodeValue(packr.pack(value));
          expect(decoded.ok && valueEquals(decoded.value, value)).toBe(true);
        },
      ),
      fcParams({ numRuns: 200 }),
    );
  });
});

describe('value decoding of untrusted bytes', () => {
  /** A decode that must not throw, and may only ever produce a valid, re-encodable Value. */
  function decodeSafely(bytes: Uint8Array): boolean {
    const result = decodeValue(bytes);
    if (!result.ok) return false;
    expectPlainValue(result.value);
    const again = decodeValue(encodeValue(result.value));
    expect(again.ok && valueEquals(again.value, result.value)).toBe(true);
    return true;
  }

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        decodeSafely(bytes);
      }),
      fcParams({ numRuns: 2000 }),
    );
  });

  it('refuses every proper prefix of an encoding (the format is self-delimiting)', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const bytes = encodeValue(value);
        for (let length = 0; length < bytes.length; length++) {
          expect(decodeSafely(bytes.subarray(0, length))).toBe(false);
        }
      }),
      fcParams({ numRuns: 200 }),
    );
  });

  it('never throws when bits of an encoding are flipped', () => {
    fc.assert(
      fc.property(anyValue, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (value, flips) => {
        const bytes = encodeValue(value).slice();
        for (const flip of flips) {
          const bit = flip % (bytes.length * 8);
          bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
        }
        decodeSafely(bytes);
      }),
      fcParams({ numRuns: 1000 }),
    );
  });
});
