import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

/** One call on the bucket, `dt` ms after the previous one. */
const step = fc.record({
  dt: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 3000 }),
    fc.double({ min: 0, max: 50, noNaN: true }),
  ),
  cost: fc.double({ min: 0, max: 300, noNaN: true }),
  forced: fc.boolean(),
});

describe('TokenBucket', () => {
  it('accepts at most burst + rate × window over any window, forced charges included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(step, { maxLength: 120 }),
        (perSecond, burst, steps) => {
          let now = 1_000;
          const bucket = new TokenBucket(perSecond, burst, now);
          const accepted: Array<{ at: number; cost: number }> = [];
          for (const { dt, cost, forced } of steps) {
            now += dt;
            // Forced charges (handler time) only ever lower what tryTake can accept.
            if (forced) bucket.charge(cost, now);
            else if (bucket.tryTake(cost, now)) accepted.push({ at: now, cost });
          }
          // The tightest windows start and end at accepted calls.
          for (let i = 0; i < accepted.length; i++) {
            let sum = 0;
            for (let j = i; j < accepted.length; j++) {
              sum += accepted[j]!.cost;
              const window = accepted[j]!.at - accepted[i]!.at;
              expect(sum).toBeLessThanOrEqual(burst + (perSecond * window) / 1000 + 1e-6);
            }
          }
        },
      ),
      fcParams({ numRuns: 300 }),
    );
  });

  it('a debt stops at one burst and is repaid by refill before anything fits again', () => {
    const bucket = new TokenBucket(500, 2000, 0);
    bucket.charge(60_000, 0);
    expect(bucket.fits(0, 3999)).toBe(false);
    expect(bucket.fits(0, 4000)).toBe(true);
    expect(bucket.fits(2000, 8000)).toBe(true);
    expect(bucket.fits(2000.001, 1_000_000)).toBe(false);
  });
});
