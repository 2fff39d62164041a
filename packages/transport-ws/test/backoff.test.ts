import { fcParams, SeededRandom } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/index.js';

const fixed = (value: number) => ({ next: () => value });

describe('Backoff', () => {
  it('tries every hub of a pass at once, then waits min(10 s, 500 ms·2^n) × [0.5, 1.5)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (hubs, r) => {
          const backoff = new Backoff(fixed(r));
          for (let pass = 0; pass < 8; pass++) {
            for (let i = 0; i < hubs - 1; i++) expect(backoff.ended(0, hubs)).toBe(0);
            const expected = Math.min(10_000, 500 * 2 ** pass) * (0.5 + r);
            expect(backoff.ended(0, hubs)).toBeCloseTo(expected, 6);
          }
        },
      ),
      fcParams({ numRuns: 100 }),
    );
  });

  it('spreads the retries of many clients (full jitter over half to one and a half times)', () => {
    const waits = Array.from({ length: 1000 }, (_, i) => new Backoff(new SeededRandom(i)).ended(0, 1));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...waits)).toBeLessThan(750);
    // Roughly uniform: each fifth of the range holds about a fifth of the clients.
    for (let k = 0; k < 5; k++) {
      const inBucket = waits.filter((wait) => wait >= 250 + 100 * k && wait < 350 + 100 * k).length;
      expect(inBucket).toBeGreaterThan(140);
      expect(inBucket).toBeLessThan(260);
    }
  });

  it('resets after a connection that lasted stableMs, and not after a shorter one', () => {
    const backoff = new Backoff(fixed(0.5), { stableMs: 5000 });
    backoff.ended(0, 1);
    backoff.ended(0, 1);
    expect(backoff.failedPasses).toBe(2);
    backoff.connected(1000);
    // Dropped after 100 ms: a failure, and the third pass's wait.
    expect(backoff.ended(1100, 1)).toBe(2000);
    backoff.connected(2000);
    expect(backoff.ended(7000, 1)).toBe(0);
    expect(backoff.failedPasses).toBe(0);
    expect(backoff.ended(7000, 1)).toBe(500);
  });
});
