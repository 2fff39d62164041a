import { randomBytes as cryptoRandomBytes } from '@noble/hashes/utils.js';

/** Default pool size: 170 nonces per CSPRNG call. */
export const DEFAULT_RANDOM_POOL_BYTES = 4096;

/**
 * A source of random bytes that calls `fill` (the platform CSPRNG by default) once per
 * `poolBytes` instead of once per request. Each byte is handed out at most once and every
 * result is a fresh copy. Worth it for nonces: a `crypto.getRandomValues` call costs more than
 * sealing a small message in some runtimes (see packages/core/bench/SEALING.md), and nonces are
 * public anyway, so holding a few KiB of future nonces in memory exposes nothing.
 */
export function pooledRandomBytes(
  fill: (length: number) => Uint8Array = cryptoRandomBytes,
  poolBytes = DEFAULT_RANDOM_POOL_BYTES,
): (length: number) => Uint8Array {
  let pool: Uint8Array = new Uint8Array(0);
  let offset = 0;
  return (length) => {
    if (length > poolBytes) return fill(length);
    if (offset + length > pool.length) {
      pool = fill(poolBytes);
      offset = 0;
    }
    offset += length;
    return pool.slice(offset - length, offset);
  };
}
