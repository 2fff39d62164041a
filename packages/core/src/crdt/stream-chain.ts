import { nobleSha256, type Sha256 } from '../ports/sha256.js';
import type { StreamEntry } from './event-log.js';

/**
 * A fingerprint of one author's entries 1..seq: the first 8 bytes of their {@link ChainHash}, as
 * two 32-bit lanes. Two replicas holding the same seqs of an author hold the same entries exactly
 * when their fingerprints match (up to a 2^-64 chance), so a digest can reveal a forged or
 * equivocated entry that a bare seq would hide for good. Authorship rests on the whole hash.
 */
export type ChainFingerprint = readonly [number, number];

/**
 * The SHA-256 hash chain over one author's entries 1..seq (32 bytes): what the author signs, so
 * one signature vouches for every entry up to it (ADR 0054). Each step hashes the whole previous
 * hash: finding another history with the same chain is a SHA-256 second preimage.
 */
export type ChainHash = Uint8Array;

/** The fingerprint of an empty run (seq 0). */
export const EMPTY_CHAIN: ChainFingerprint = [0, 0];

/** The chain hash of an empty run (seq 0): 32 zero bytes. Never mutate it. */
export const EMPTY_CHAIN_HASH: ChainHash = new Uint8Array(32);

const HEADER_BYTES = 32 + 8 + 4;

/**
 * The chain of a run extended by `entry`: SHA-256(previous ‖ wall ‖ counter ‖ payload), by
 * `sha256`. The seq is the run's length and the author is the chain's owner, so neither is
 * hashed.
 */
export function chainStep(previous: ChainHash, entry: StreamEntry, sha256: Sha256 = nobleSha256): ChainHash {
  const payload = entry.payload;
  const length = HEADER_BYTES + payload.length;
  // Header and payload hashed from one reused buffer: a fresh header, views of it and of the
  // digest cost as much as the hash (each view of a small array moves it off the engine's heap).
  const input = length <= scratch.length ? scratch : new Uint8Array(length);
  const view = input === scratch ? scratchView : new DataView(input.buffer);
  input.set(previous, 0);
  // A wall below 2^53 splits exactly into a high and a low 32-bit half.
  view.setUint32(32, Math.floor(entry.wall / 2 ** 32));
  view.setUint32(36, entry.wall >>> 0);
  view.setUint32(40, entry.counter);
  input.set(payload, HEADER_BYTES);
  return sha256(input.subarray(0, length));
}

/** The fingerprint of a chain: its first 8 bytes. */
export function fingerprintOf(chain: ChainHash): ChainFingerprint {
  return [lane(chain, 0), lane(chain, 4)];
}

/** Big-endian u32 at `at` of `bytes`. */
function lane(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

/** Holds a step's input when it fits (payloads are mostly small); larger ones get their own. */
const scratch = new Uint8Array(16 * 1024);
const scratchView = new DataView(scratch.buffer);

/** True when two fingerprints are equal. */
export function sameChain(a: ChainFingerprint, b: ChainFingerprint): boolean {
  return a[0] === b[0] && a[1] === b[1];
}
