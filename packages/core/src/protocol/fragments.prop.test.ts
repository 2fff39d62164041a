import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { fragment, MESSAGE_OVERHEAD_BYTES, PIECE_OVERHEAD_BYTES, Reassembler } from './fragments.js';

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
        for (const body of bodies) {
          reassembler.add(peer, body, 0);
          expect(reassembler.pendingBytes).toBeLessThanOrEqual(3000);
        }
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
    // The first piece expired with its message; the late second piece started it over alone.
    expect(reassembler.stats()).toEqual({
      pendingMessages: 1,
      pendingBytes: MESSAGE_OVERHEAD_BYTES + PIECE_OVERHEAD_BYTES + 300,
      dropped: 3, // the oversized message twice (its pieces 2 and 5 overflow), then the expired one
    });
  });

  it('reassembles interleaved messages from several senders, reordered and duplicated', () => {
    const message = fc.record({
      sender: fc.constantFrom('a', 'b', 'c'),
      envelope: fc.uint8Array({ minLength: 2, maxLength: 3000 }),
      pieceShare: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), fc.nat(), (messages, seed) => {
        // Each envelope starts with its own index, so no two share a content-derived message id;
        // pieces are smaller than the envelope, so every message has at least two.
        const envelopes = messages.map(({ envelope }, id) => Uint8Array.of(id, ...envelope));
        const deliveries = messages.flatMap(({ sender, pieceShare }, id) => {
          const envelope = envelopes[id] as Uint8Array;
          const pieceBytes = Math.max(1, Math.floor((envelope.length - 1) * pieceShare));
          return fragment(envelope, pieceBytes).flatMap((piece, index) =>
            // Every third piece arrives twice.
            Array.from({ length: index % 3 === 0 ? 2 : 1 }, () => ({ sender, piece })),
          );
        });
        // A seeded shuffle: any interleaving of senders and pieces.
        let state = seed;
        for (let i = deliveries.length - 1; i > 0; i--) {
          state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
          const j = state % (i + 1);
          [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
        }
        const reassembler = new Reassembler({
          maxMessageBytes: 4000,
          maxPendingBytes: 10_000_000,
          timeoutMs: 1000,
        });
        const whole = deliveries
          .map(({ sender, piece }) => reassembler.add(sender as NodeId, piece, 0))
          .filter((result) => result !== undefined);
        expect(whole.map((bytes) => bytes.join()).sort()).toEqual(
          envelopes.map((bytes) => bytes.join()).sort(),
        );
        expect(reassembler.stats().pendingMessages).toBe(0);
        expect(reassembler.pendingBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('holds at most maxPendingPerSender messages from one sender, without touching the others', () => {
    const reassembler = new Reassembler({
      maxMessageBytes: 10_000,
      maxPendingBytes: 1_000_000,
      timeoutMs: 1000,
      maxPendingPerSender: 4,
    });
    const other = fragment(new Uint8Array(900).fill(9), 300);
    reassembler.add('other' as NodeId, other[0] as Uint8Array, 0);
    for (let id = 0; id < 100; id++) {
      reassembler.add(peer, fragment(Uint8Array.of(id, 1, 2, 3), 2)[0] as Uint8Array, 0);
    }
    expect(reassembler.stats().pendingMessages).toBe(5);
    expect(reassembler.dropped).toBe(96);
    expect(reassembler.add('other' as NodeId, other[1] as Uint8Array, 0)).toBeUndefined();
    expect(reassembler.add('other' as NodeId, other[2] as Uint8Array, 0)).toEqual(
      new Uint8Array(900).fill(9),
    );
  });
});
