import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';

/** XChaCha20-Poly1305 nonce length in bytes. */
export const AEAD_NONCE_BYTES = 24;
/** Poly1305 tag length in bytes: what sealing adds to a plaintext. */
export const AEAD_TAG_BYTES = 16;

/**
 * An implementation of XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha; RFC 8439 AEAD with the
 * HChaCha20 extended nonce). The algorithm is fixed by the wire format; this port only lets a
 * platform plug in a faster implementation of it.
 *
 * - `seal` returns `ciphertext ‖ 16-byte tag`.
 * - `open` returns the plaintext, or `undefined` when the tag does not verify. It must never
 *   throw and never return unauthenticated plaintext.
 */
export interface Aead {
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | undefined;
}

/** The default {@link Aead}: `@noble/ciphers`' audited pure-JS XChaCha20-Poly1305. */
export const nobleXChaCha20Poly1305: Aead = {
  seal: (key, nonce, plaintext, aad) => xchacha20poly1305(key, nonce, aad).encrypt(plaintext),
  open: (key, nonce, ciphertext, aad) => {
    try {
      return xchacha20poly1305(key, nonce, aad).decrypt(ciphertext);
    } catch {
      // noble signals a bad tag (and a too-short input) by throwing; the port reports it as a value.
      return undefined;
    }
  },
};
