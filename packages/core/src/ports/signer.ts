import { ed25519 } from '@noble/curves/ed25519.js';

/** Ed25519 secret key (seed) length in bytes. */
export const SIGNING_SECRET_KEY_BYTES = 32;
/** Ed25519 public key length in bytes. */
export const SIGNING_PUBLIC_KEY_BYTES = 32;
/** Ed25519 signature length in bytes. */
export const SIGNATURE_BYTES = 64;

/**
 * An implementation of Ed25519 (RFC 8032, pure Ed25519, no prehash, no context). The algorithm
 * is fixed by the protocol; this port only lets a platform plug in a faster implementation of
 * it (`node:crypto` signs about 20× faster than pure JS).
 *
 * - `publicKey` derives the 32-byte public key of a 32-byte secret key (an RFC 8032 seed).
 * - `sign` returns the 64-byte signature, deterministic as RFC 8032 makes it: every conforming
 *   implementation returns the same bytes.
 * - `verify` returns true only for a valid signature of `message` by `publicKey` under the
 *   strict rules of RFC 8032 §5.1.7 and FIPS 186-5 (canonical encodings), so every node agrees
 *   on which signatures are valid. It must never throw, whatever its arguments' lengths.
 */
export interface Signer {
  publicKey(secretKey: Uint8Array): Uint8Array;
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** The default {@link Signer}: `@noble/curves`' audited pure-JS Ed25519. */
export const nobleEd25519: Signer = {
  publicKey: (secretKey) => ed25519.getPublicKey(secretKey),
  sign: (secretKey, message) => ed25519.sign(message, secretKey),
  verify: (publicKey, message, signature) => {
    try {
      // Strict RFC 8032 / FIPS 186-5 checks, as OpenSSL makes them: the lenient ZIP 215 rules
      // accept edge cases (small-order points) that other implementations refuse, and nodes must
      // agree on which signatures are valid.
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      // noble throws on a malformed key or signature; the port reports that as invalid.
      return false;
    }
  },
};
