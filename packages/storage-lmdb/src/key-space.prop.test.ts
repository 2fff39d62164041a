import { compareBytes, startsWith } from '@shoal/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataKey, prefixRange, userKey } from './key-space.js';

const bytesArb = fc
  .uint8Array({ maxLength: 5 })
  .chain((base) =>
    fc.constantFrom(base, Uint8Array.from([...base, 0xff, 0xff]), Uint8Array.from(base.map(() => 0xff))),
  );

describe('key space', () => {
  it('puts exactly the keys starting with a prefix inside its range', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, (key, prefix) => {
        const { start, end } = prefixRange(prefix);
        const stored = dataKey(key);
        const inside = compareBytes(start, stored) <= 0 && compareBytes(stored, end) < 0;
        expect(inside).toBe(startsWith(key, prefix));
      }),
    );
  });

  it('preserves unsigned order and round-trips user keys', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, (a, b) => {
        expect(Math.sign(compareBytes(dataKey(a), dataKey(b)))).toBe(Math.sign(compareBytes(a, b)));
        expect(userKey(dataKey(a))).toEqual(a);
      }),
    );
  });
});
