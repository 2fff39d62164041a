import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Compression } from '@shoal/core';

/**
 * Raw DEFLATE by Node's zlib: the same streams as core's default `fflateCompression` (each
 * inflates the other's; a property test checks it), about twice as fast. `inflate` stops at the
 * stated length (`maxOutputLength`), so a bomb costs no more than the length it claims.
 */
export const nodeZlibCompression: Compression = {
  // An 8 KiB window covers any message body (at most a few KiB) and sets up faster than the
  // default 32 KiB; inflate keeps the default window, so it reads any peer's streams. Level 5:
  // a newcomer's map bodies come out exactly as small as at level 6 in 30 % less time, stream
  // bodies 0.04 % larger in 4-8 % less (apps/bench/src/deflate-levels.ts); level 4 costs 1-1.5 %.
  deflate: (bytes) => new Uint8Array(deflateRawSync(bytes, { level: 5, windowBits: 13, memLevel: 6 })),
  inflate(bytes, length) {
    try {
      const inflated = inflateRawSync(bytes, { maxOutputLength: Math.max(1, length) });
      return inflated.length === length
        ? new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length)
        : undefined;
    } catch {
      // Corrupt data, or output beyond maxOutputLength (RangeError): both a lie.
      return undefined;
    }
  },
};
