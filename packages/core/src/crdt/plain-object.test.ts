import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainObject } from './plain-object.js';

describe('plainObject', () => {
  it('is an empty plain object like {}, whatever key count it is made for', () => {
    fc.assert(
      fc.property(fc.nat(20), fc.dictionary(fc.string(), fc.integer()), (keys, entries) => {
        const object = plainObject<number>(keys);
        expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
        expect(Object.keys(object)).toEqual([]);
        expect(object.constructor).toBe(Object);
        for (const [key, value] of Object.entries(entries))
          Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
        expect(JSON.stringify(object)).toBe(JSON.stringify(entries));
      }),
      fcParams(),
    );
  });
});
