import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from './random-pool.js';

describe('pooledRandomBytes', () => {
  it('hands out each source byte at most once, with the requested lengths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.nat({ max: 20 }), { maxLength: 10, size: 'max' }),
        (poolBytes, lengths) => {
          // Every byte the source ever produces is distinct (fewer than 256 in total), so a
          // byte handed out twice shows up as a duplicate value.
          let next = 0;
          const random = pooledRandomBytes((length) => Uint8Array.from({ length }, () => next++), poolBytes);
          const served: number[] = [];
          for (const length of lengths) {
            const bytes = random(length);
            expect(bytes).toHaveLength(length);
            served.push(...bytes);
          }
          expect(new Set(served).size).toBe(served.length);
        },
      ),
    );
  });

  it('calls the source once per pool, not once per request', () => {
    let calls = 0;
    const random = pooledRandomBytes((length) => {
      calls++;
      return new Uint8Array(length);
    }, 240);
    for (let i = 0; i < 100; i++) random(24);
    expect(calls).toBe(10);
  });

  it('returns copies the caller may keep', () => {
    const random = pooledRandomBytes(() => new Uint8Array(32).fill(7), 32);
    random(8).fill(0);
    expect(random(8)).toEqual(new Uint8Array(8).fill(7));
  });
});
