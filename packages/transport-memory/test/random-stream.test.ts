import { SeededRandom } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../src/random-stream.js';

describe('RandomStream', () => {
  // The network keeps its own copy of testkit's PRNG (a runtime package cannot depend on
  // testkit); this keeps the two from drifting apart.
  it('draws exactly what SeededRandom draws, for streams and forks', () => {
    fc.assert(
      fc.property(fc.integer(), fc.string(), (seed, label) => {
        const ours = new RandomStream(seed).fork(label);
        const theirs = new SeededRandom(seed).fork(label);
        expect(ours.seed).toBe(theirs.seed);
        for (let i = 0; i < 5; i++) expect(ours.nextUint32()).toBe(theirs.nextUint32());
      }),
      { numRuns: 100 },
    );
  });
});
