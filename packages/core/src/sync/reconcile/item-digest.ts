import { sha256 } from '@noble/hashes/sha2.js';

const utf8 = new TextEncoder();

/** Bits of a key's position: 13 hex digits, so a position is a safe integer and a 16-ary path. */
export const POSITION_BITS = 52;

/** A key's hash, its position, and (with a version) the item digest. */
export interface KeyDigest {
  /** SHA-256 of the key's UTF-8 bytes. */
  readonly hash: Uint8Array;
  /** The first 52 bits of `hash`, an integer in [0, 2^52). */
  readonly position: number;
}

/**
 * Hashes a key once. Sets are ordered by position (Meyer 2022 §2 allows any total order): a
 * hash order spreads keys uniformly, so ranges split evenly and range bounds need no key bytes.
 */
export function digestKey(key: string): KeyDigest {
  const hash = sha256(utf8.encode(key));
  const high = (hash[0]! << 12) | (hash[1]! << 4) | (hash[2]! >>> 4);
  const low = ((hash[2]! & 0x0f) << 24) | (hash[3]! << 16) | (hash[4]! << 8) | hash[5]!;
  return { hash, position: high * 2 ** 32 + (low >>> 0) };
}

/** Where `key` sits in the reconciliation order (see {@link digestKey}). */
export function keyPosition(key: string): number {
  return digestKey(key).position;
}

/**
 * The 128-bit digest of one item: SHA-256 over (first 16 bytes of the key hash, version),
 * as four 32-bit lanes, least significant first. One 64-byte block whatever the key length.
 * Range fingerprints are sums of these (Meyer 2022 §3.2).
 */
export function itemDigestOf(keyDigest: KeyDigest, version: Uint8Array): Uint32Array {
  const input = new Uint8Array(16 + version.length);
  input.set(keyDigest.hash.subarray(0, 16));
  input.set(version, 16);
  const digest = sha256(input);
  const view = new DataView(digest.buffer, digest.byteOffset, 16);
  return Uint32Array.of(view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12));
}

/** The item digest of (key, version) (see {@link itemDigestOf}). */
export function itemDigest(key: string, version: Uint8Array): Uint32Array {
  return itemDigestOf(digestKey(key), version);
}
