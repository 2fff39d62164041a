import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random.js';

function draw(random: SeededRandom, count: number): number[] {
  return Array.from({ length: count }, () => random.next());
}

describe('SeededRandom', () => {
  it('replays the same sequence from the same seed, in [0, 1)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (seed) => {
        const first = draw(new SeededRandom(seed), 20);
        expect(draw(new SeededRandom(seed), 20)).toEqual(first);
        for (const value of first) {
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThan(1);
        }
      }),
      fcParams({ numRuns: 200 }),
    );
  });

  it('gives different sequences for nearby seeds', () => {
    const sequences = new Set(
      [0, 1, 2, 3, 0.5, -1, 2 ** 40].map((seed) => draw(new SeededRandom(seed), 4).join()),
    );
    expect(sequences.size).toBe(7);
  });

  it('matches pinned values, so a seed replays across versions and platforms', () => {
    // Pinned on first release: changing the algorithm would silently change every replay.
    const random = new SeededRandom(1);
    expect([random.nextUint32(), random.nextUint32(), random.nextUint32()]).toEqual([
      3159295997, 2728398710, 2116172885,
    ]);
  });

  it('is roughly uniform', () => {
    const random = new SeededRandom(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const bucket = Math.floor(random.next() * 10);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    // Each bucket expects 10 000 with a standard deviation of about 95.
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('forks depend on the seed and label only, not on draws made before', () => {
    fc.assert(
      fc.property(fc.integer(), fc.string(), fc.nat(50), (seed, label, before) => {
        const parent = new SeededRandom(seed);
        draw(parent, before);
        const fork = parent.fork(label);
        expect(draw(fork, 5)).toEqual(draw(new SeededRandom(seed).fork(label), 5));
        expect(draw(new SeededRandom(fork.seed), 5)).toEqual(draw(parent.fork(label), 5));
      }),
      fcParams({ numRuns: 100 }),
    );
  });

  it('forks with different labels are unrelated', () => {
    const root = new SeededRandom(1);
    const streams = ['a', 'b', 'ab', 'ba', '', 'node:a'].map((label) => draw(root.fork(label), 4).join());
    expect(new Set(streams).size).toBe(streams.length);
    expect(streams).not.toContain(draw(new SeededRandom(1), 4).join());
  });

  it('rejects a seed that is not a finite number', () => {
    for (const seed of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new SeededRandom(seed)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
