import { sha256 } from '@noble/hashes/sha2.js';

/**
 * SHA-256 (FIPS 180-4): the 32-byte digest of `data`. The algorithm is fixed by the protocol
 * (stream chains, ADR 0054); this port only lets a platform plug in a faster implementation
 * (Node's OpenSSL hashes a stream entry in about half the time of pure JS, and a receiver hashes
 * every entry it takes). An implementation must return a fresh array, never a view of a buffer
 * it reuses: callers keep digests.
 */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** The default {@link Sha256}: `@noble/hashes`' audited pure-JS implementation. */
export const nobleSha256: Sha256 = (data) => sha256(data);
