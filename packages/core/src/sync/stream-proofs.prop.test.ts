import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EntryProof, StreamEntry } from '../crdt/event-log.js';
import { type ChainHash, chainStep, EMPTY_CHAIN_HASH } from '../crdt/stream-chain.js';
import type { NodeId } from '../ids/node-id.js';
import { nobleEd25519 } from '../ports/signer.js';
import { streamProofMessage } from '../security/stream-proofs.js';
import { bytesEqual } from '../storage/bytes.js';
import { type ProofCheck, StreamReplica } from './stream-replica.js';

const AUTHOR = 'alice' as NodeId;
const AUTHOR_KEY = new Uint8Array(32).fill(1);
const AUTHOR_PUBLIC = nobleEd25519.publicKey(AUTHOR_KEY);
const FORGER_KEY = new Uint8Array(32).fill(2);

function sign(secretKey: Uint8Array, seq: number, chain: ChainHash): EntryProof {
  const message = streamProofMessage('s', AUTHOR, seq, chain);
  return { signature: nobleEd25519.sign(secretKey, message), publicKey: nobleEd25519.publicKey(secretKey) };
}

/** The author's history, signed at the end of each of its write batches (sizes `batches`). */
function history(batches: readonly number[]): StreamEntry[] {
  const entries: StreamEntry[] = [];
  let chain = EMPTY_CHAIN_HASH;
  for (const size of batches) {
    for (let i = 0; i < size; i++) {
      const seq = entries.length + 1;
      const entry: StreamEntry = {
        author: AUTHOR,
        seq,
        wall: 1000 + seq,
        counter: 0,
        payload: Uint8Array.of(seq),
      };
      chain = chainStep(chain, entry);
      entries.push(i === size - 1 ? { ...entry, proof: sign(AUTHOR_KEY, seq, chain) } : entry);
    }
  }
  return entries;
}

/** The check a node makes: the author's key, and a valid signature over the chain. */
const check: ProofCheck = (author, seq, chain, proof) =>
  bytesEqual(proof.publicKey, AUTHOR_PUBLIC) &&
  nobleEd25519.verify(proof.publicKey, streamProofMessage('s', author, seq, chain), proof.signature);

/** A message: some of the real entries (a chunk, maybe reordered), or a forgery. */
type Delivery =
  | { kind: 'chunk'; from: number; length: number }
  | { kind: 'forge'; seq: number; signed: 'none' | 'forger' | 'forger-naming-author'; withReal: boolean };

const deliveryArb: fc.Arbitrary<Delivery> = fc.oneof(
  fc.record({
    kind: fc.constant('chunk' as const),
    from: fc.nat(30),
    length: fc.integer({ min: 1, max: 12 }),
  }),
  fc.record({
    kind: fc.constant('forge' as const),
    seq: fc.integer({ min: 1, max: 32 }),
    signed: fc.constantFrom('none' as const, 'forger' as const, 'forger-naming-author' as const),
    // The forgery rides with the real entries before it, so its chain is right up to it.
    withReal: fc.boolean(),
  }),
);

describe('stream proofs (ADR 0054)', () => {
  it('show only a prefix of the author’s real history, never a forgery, and all of it once every chunk arrived', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.array(deliveryArb, { maxLength: 16 }),
        (batches, deliveries) => {
          const real = history(batches);
          const replica = new StreamReplica();
          const deliver = (entries: readonly StreamEntry[]) => {
            for (const entry of entries) {
              if (entry.seq > replica.log.seqOf(entry.author)) replica.hold(entry);
            }
            return replica.advance(AUTHOR, check);
          };
          const shownIsRealPrefix = () => {
            const shown = replica.log.getAll();
            shown.forEach((entry, index) => {
              const genuine = real[index] as StreamEntry;
              expect(entry.seq).toBe(genuine.seq);
              expect(entry.payload).toEqual(genuine.payload);
              expect(entry.proof).toBeUndefined();
            });
          };
          for (const delivery of deliveries) {
            if (delivery.kind === 'chunk')
              deliver(real.slice(delivery.from, delivery.from + delivery.length));
            else {
              const forged: StreamEntry = {
                author: AUTHOR,
                seq: delivery.seq,
                wall: 5000,
                counter: 1,
                payload: Uint8Array.of(0xff),
              };
              const before = real.slice(0, delivery.seq - 1).map(({ proof: _proof, ...entry }) => entry);
              let chain = EMPTY_CHAIN_HASH;
              for (const entry of [...before, forged]) chain = chainStep(chain, entry);
              let proof: EntryProof | undefined;
              if (delivery.signed !== 'none') proof = sign(FORGER_KEY, delivery.seq, chain);
              if (proof !== undefined && delivery.signed === 'forger-naming-author')
                proof = { ...proof, publicKey: AUTHOR_PUBLIC };
              deliver([
                ...(delivery.withReal ? before : []),
                proof === undefined ? forged : { ...forged, proof },
              ]);
            }
            shownIsRealPrefix();
          }
          // Anti-entropy: the whole history once more, in order; relays keep what showed a run.
          const revealed = deliver(real);
          shownIsRealPrefix();
          expect(replica.log.seqOf(AUTHOR)).toBe(real.length);
          expect(replica.provenOf(AUTHOR)).toBe(real.length);
          // Only forgeries beyond the real history may still wait (no proof will ever cover them).
          const beyond = new Set(
            deliveries
              .filter((d) => d.kind === 'forge' && d.seq > real.length)
              .map((d) => (d as { seq: number }).seq),
          );
          expect(replica.pending).toBe(beyond.size);
          // What it would relay ends with the proof that showed it.
          if (revealed.length > 0) expect(revealed.at(-1)?.proof).toEqual(real.at(-1)?.proof);
          expect(replica.proofOf(AUTHOR, real.length)).toEqual(real.at(-1)?.proof);
        },
      ),
      fcParams({ numRuns: 60 }),
    );
  });

  it('a run waits while its author’s key is not known, and shows once it is', () => {
    const real = history([3, 2]);
    const replica = new StreamReplica();
    let known = false;
    const waiting: ProofCheck = (...args) => (known ? check(...args) : undefined);
    for (const entry of real) replica.hold(entry);
    expect(replica.advance(AUTHOR, waiting)).toEqual([]);
    expect(replica.pending).toBe(5);
    known = true;
    expect(replica.advance(AUTHOR, waiting).map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(replica.pending).toBe(0);
    // Only the proof that showed the run is kept: the one at seq 3 was never checked.
    expect(replica.proofOf(AUTHOR, 3)).toBeUndefined();
    expect(replica.proofOf(AUTHOR, 5)).toEqual(real[4]?.proof);
  });

  it('an answer carries only the proofs its receiver keeps: the last, and those at 1024-entry intervals', () => {
    // Every append its own batch: a proof on every entry, all held by the replica.
    const real = history(Array(2100).fill(1));
    const replica = new StreamReplica();
    for (const entry of real) {
      replica.hold(entry);
      replica.advance(AUTHOR, () => true);
    }
    expect(replica.provenOf(AUTHOR)).toBe(2100);
    const sent = replica.planDelta(new Map(), '', null).filter((entry) => entry.proof !== undefined);
    expect(sent.map((entry) => entry.seq)).toEqual([1024, 2048, 2100]);
  });
});
