import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../ports/seeded-random.js';
import { isNodeId, randomNodeId } from './node-id.js';
import { isSelfCertifyingId, keyFitsId, selfCertifyingId } from './self-certifying-id.js';

const keys = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('self-certifying node ids (ADR 0055)', () => {
  it('name the key they derive from and no other', () => {
    fc.assert(
      fc.property(keys, keys, (a, b) => {
        fc.pre(a.join() !== b.join());
        const id = selfCertifyingId(a);
        expect(isNodeId(id)).toBe(true);
        expect(id).toMatch(/^[0-9a-f]{32}$/);
        expect(isSelfCertifyingId(id)).toBe(true);
        expect(keyFitsId(id, a)).toBe(true);
        expect(keyFitsId(id, b)).toBe(false);
        expect(selfCertifyingId(b)).not.toBe(id);
      }),
      { numRuns: 200 },
    );
  });

  it('leave ids a user chose, and random ids without the marker, open to any key (bound on first use)', () => {
    fc.assert(
      fc.property(fc.constantFrom('alice', 'n0', 'hub-1.example', 'A'.repeat(32)), keys, (id, key) => {
        expect(isSelfCertifyingId(id)).toBe(false);
        expect(keyFitsId(id, key)).toBe(true);
      }),
    );
    let marked = 0;
    const random = new SeededRandom(1);
    for (let i = 0; i < 20_000; i++) if (isSelfCertifyingId(randomNodeId(random))) marked++;
    // One random id in 65,536 happens to end with the marker.
    expect(marked).toBeLessThan(3);
  });
});
