import { sha256 } from '@noble/hashes/sha2.js';
import type { StreamEntry } from './event-log.js';

/**
 * A fingerprint of one author's entries 1..seq: the first 8 bytes of a SHA-256 hash chain over
 * them, as two 32-bit lanes. Two replicas holding the same seqs of an author hold the same
 * entries exactly when their fingerprints match (up to a 2^-64 chance, and finding a second
 * history with the same fingerprint takes about 2^64 hashes), so a digest can reveal a forged or
 * equivocated entry that a bare seq would hide for good.
 */
export type ChainFingerprint = readonly [number, number];

/** The fingerprint of an empty run (seq 0). */
export const EMPTY_CHAIN: ChainFingerprint = [0, 0];

const HEADER_BYTES = 8 + 8 + 4;

/**
 * The fingerprint of a run extended by `entry`: SHA-256(previous ‖ wall ‖ counter ‖ payload).
 * The seq is the run's length and the author is the chain's owner, so neither is hashed.
 */
export function chainStep(previous: ChainFingerprint, entry: StreamEntry): ChainFingerprint {
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint32(0, previous[0]);
  view.setUint32(4, previous[1]);
  // A wall below 2^53 splits exactly into a high and a low 32-bit half.
  view.setUint32(8, Math.floor(entry.wall / 2 ** 32));
  view.setUint32(12, entry.wall >>> 0);
  view.setUint32(16, entry.counter);
  const digest = sha256.create().update(header).update(entry.payload).digest();
  const out = new DataView(digest.buffer, digest.byteOffset, 8);
  return [out.getUint32(0), out.getUint32(4)];
}

/** True when two fingerprints are equal. */
export function sameChain(a: ChainFingerprint, b: ChainFingerprint): boolean {
  return a[0] === b[0] && a[1] === b[1];
}
