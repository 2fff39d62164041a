import { hash } from 'node:crypto';
import type { Sha256 } from '@shoal/core';

/**
 * SHA-256 on Node's OpenSSL (one-shot `crypto.hash`): the same digests as core's `nobleSha256`
 * (the Sha256 conformance suite checks it), in about half the time on a stream entry, which
 * every appended or received entry is hashed once for. Returns a fresh array each call.
 */
export const nodeSha256: Sha256 = (data) => {
  const digest = hash('sha256', data, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
};
