import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyValue } from '../test-support/crdt-arbitraries.js';
import { decodeValue, decodeValueRange } from './decode-value.js';
import { encodeValue } from './encode-value.js';

describe('decodeValueRange (property)', () => {
  it('decodes a value where it lies in a larger buffer exactly as decodeValue decodes it alone', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 8 }),
        anyValue,
        fc.uint8Array({ maxLength: 8 }),
        (before, value, after) => {
          const bytes = encodeValue(value);
          const buffer = Uint8Array.from([...before, ...bytes, ...after]);
          const end = before.length + bytes.length;
          expect(decodeValueRange(buffer, before.length, end)).toEqual(decodeValue(bytes));
        },
      ),
      fcParams(),
    );
  });

  it('is total on arbitrary bytes and ranges: the same answer as decodeValue on that range, or a refusal', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: -4, max: 48 }),
        fc.integer({ min: -4, max: 48 }),
        (buffer, start, end) => {
          const decoded = decodeValueRange(buffer, start, end);
          if (0 <= start && start <= end && end <= buffer.length)
            expect(decoded).toEqual(decodeValue(buffer.slice(start, end)));
          else expect(decoded.ok).toBe(false);
        },
      ),
      fcParams(),
    );
  });
});
