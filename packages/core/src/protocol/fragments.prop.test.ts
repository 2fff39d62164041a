import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { fragment, Reassembler } from './fragments.js';

const limits = { maxMessageBytes: 100_000, maxPendingBytes: 200_000, timeoutMs: 10_000 };
const peer = 'peer' as NodeId;

describe('fragments', () => {
  it('reassemble in any order, with duplicates, to the original bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 5000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.nat(),
        (envelope, pieceBytes, shuffle) => {
          const pieces = fragment(envelope, pieceBytes);
          fc.pre(pieces.length >= 2);
          const order = [...pieces, pieces[shuffle % pieces.length] as Uint8Array].sort(
            (a, b) => (((a[1] ?? 0) * 31 + shuffle) % 7) - (((b[1] ?? 0) * 31 + shuffle) % 7),
          );
          const reassembler = new Reassembler(limits);
          const results = order
            .map((piece) => reassembler.add(peer, piece, 0))
            .filter((r) => r !== undefined);
          expect(results).toEqual([envelope]);
          expect(reassembler.pendingBytes).toBe(0);
        },
      ),
    );
  });

  it('never throws on random bodies and holds no more than its limits', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 200 }), (bodies) => {
        const reassembler = new Reassembler({
          maxMessageBytes: 2000,
          maxPendingBytes: 3000,
          timeoutMs: 1000,
        });
        for (const body of bodies) reassembler.add(peer, body, 0);
        expect(reassembler.pendingBytes).toBeLessThanOrEqual(3000);
      }),
    );
  });

  it('drops a message that announces more than the limit or outlives the timeout', () => {
    const reassembler = new Reassembler({ maxMessageBytes: 1000, maxPendingBytes: 10_000, timeoutMs: 100 });
    const big = fragment(new Uint8Array(3000), 500);
    expect(big.map((piece) => reassembler.add(peer, piece, 0)).every((r) => r === undefined)).toBe(true);
    const slow = fragment(new Uint8Array(800).fill(1), 500);
    reassembler.add(peer, slow[0] as Uint8Array, 0);
    expect(reassembler.add(peer, slow[1] as Uint8Array, 200)).toBeUndefined();
    expect(reassembler.pendingBytes).toBeLessThan(800);
  });
});
