import { sha256 } from '@noble/hashes/sha2.js';

/**
 * SHA-256 (FIPS 180-4): the 32-byte digest of `data`. The algorithm is fixed by the protocol
 * (stream chains, ADR 0054; map writer sets, ADR 0058); this port only lets a platform plug in
 * a faster implementation (Node's OpenSSL hashes a long stream entry in about half the time of
 * pure JS, and a receiver hashes every entry it takes). An implementation must return a fresh
 * array, never a view of a buffer it reuses: callers keep digests.
 */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** A hasher in its initial state, copied into {@link working} for each digest. */
const initial = sha256.create();
const working = sha256.create();
const output = new Uint8Array(32);

/**
 * The default {@link Sha256}: `@noble/hashes`' audited pure-JS implementation. One hasher is
 * reset from a pristine copy per call rather than a new one made: a new hasher allocates its
 * block buffer and views, which cost as much as hashing a short input (a map write's value
 * digest is about 1 µs this way, 2-3 µs with a hasher per call, and 2 µs through OpenSSL's
 * one-shot call, whose fixed cost dominates short inputs).
 */
export const nobleSha256: Sha256 = (data) => {
  initial._cloneInto(working);
  working.update(data).digestInto(output);
  return output.slice();
};
