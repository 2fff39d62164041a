import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { u32 } from '@noble/ciphers/utils.js';
import { AEAD_NONCE_BYTES, type Aead, ErrorCode, ShoalError } from '@shoal/core';

/** "expand 32-byte k", the ChaCha constants, as little-endian words. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** The XChaCha20 subkey and IETF nonce (draft-irtf-cfrg-xchacha §2.3). */
function subkey(key: Uint8Array, nonce: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  const out = new Uint32Array(8);
  // Copies through Uint8Array's own constructor: `slice` on a Node Buffer is a view, possibly at an
  // offset a Uint32Array cannot start at.
  hchacha(SIGMA, u32(new Uint8Array(key)), u32(new Uint8Array(nonce.subarray(0, 16))), out);
  const iv = new Uint8Array(12);
  iv.set(nonce.subarray(16, 24), 4);
  return { key: new Uint8Array(out.buffer), iv };
}

/**
 * XChaCha20-Poly1305 on Node's OpenSSL ChaCha20-Poly1305, with noble's HChaCha20 for the
 * extended nonce: byte-for-byte the same algorithm as core's default `nobleXChaCha20Poly1305`
 * (a property test checks it), faster on Node. `open` never throws and returns `undefined`
 * when the tag does not verify (or the key or nonce has the wrong size).
 *
 * @throws ShoalError `INVALID_ARGUMENT` from `seal` when the key is not 32 bytes or the nonce
 *   not 24: HChaCha20 would otherwise pad or cut them and seal under some other key.
 */
export const nodeXChaCha20Poly1305: Aead = {
  seal(key, nonce, plaintext, aad) {
    if (key.length !== KEY_BYTES || nonce.length !== AEAD_NONCE_BYTES) {
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        `XChaCha20-Poly1305 needs a ${KEY_BYTES}-byte key and a ${AEAD_NONCE_BYTES}-byte nonce, got ${key.length} and ${nonce.length}`,
      );
    }
    const derived = subkey(key, nonce);
    const cipher = createCipheriv('chacha20-poly1305', derived.key, derived.iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    const out = new Uint8Array(head.length + tail.length + TAG_BYTES);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(cipher.getAuthTag(), head.length + tail.length);
    return out;
  },
  open(key, nonce, ciphertext, aad) {
    if (ciphertext.length < TAG_BYTES || key.length !== KEY_BYTES || nonce.length !== AEAD_NONCE_BYTES) {
      return undefined;
    }
    try {
      const derived = subkey(key, nonce);
      const decipher = createDecipheriv('chacha20-poly1305', derived.key, derived.iv, {
        authTagLength: TAG_BYTES,
      });
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
      decipher.setAAD(aad, { plaintextLength: ciphertext.length - TAG_BYTES });
      const head = decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_BYTES));
      const tail = decipher.final();
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      return out;
    } catch {
      return undefined;
    }
  },
};
