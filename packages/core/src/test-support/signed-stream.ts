import type { StreamEntry } from '../crdt/event-log.js';
import { type ChainHash, chainStep, EMPTY_CHAIN_HASH } from '../crdt/stream-chain.js';
import { nobleEd25519 } from '../ports/signer.js';
import { streamProofMessage } from '../security/stream-proofs.js';
import { PROOF_INTERVAL } from '../sync/stream-replica.js';

/**
 * `entries` (each author's from seq 1, in seq order) with proofs attached as their authors would
 * sign them: at every {@link PROOF_INTERVAL}-th seq and at each author's last entry, signed with
 * `secretKey`. Signing with a key that is not the author's makes forgeries.
 */
export function signedStream(
  stream: string,
  entries: readonly StreamEntry[],
  secretKey: Uint8Array,
): StreamEntry[] {
  const publicKey = nobleEd25519.publicKey(secretKey);
  const chains = new Map<string, ChainHash>();
  const lastOf = new Map<string, number>();
  for (const entry of entries) lastOf.set(entry.author, Math.max(lastOf.get(entry.author) ?? 0, entry.seq));
  return entries.map((entry) => {
    const chain = chainStep(chains.get(entry.author) ?? EMPTY_CHAIN_HASH, entry);
    chains.set(entry.author, chain);
    if (entry.seq !== lastOf.get(entry.author) && entry.seq % PROOF_INTERVAL !== 0) return entry;
    const message = streamProofMessage(stream, entry.author, entry.seq, chain);
    return { ...entry, proof: { signature: nobleEd25519.sign(secretKey, message), publicKey } };
  });
}
