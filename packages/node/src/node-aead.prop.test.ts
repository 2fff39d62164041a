import { nobleXChaCha20Poly1305 } from '@shoal/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeXChaCha20Poly1305 } from './node-aead.js';

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

describe('nodeXChaCha20Poly1305', () => {
  it('seals exactly as the noble implementation does, and each opens the other', () => {
    fc.assert(
      fc.property(
        bytes(32),
        bytes(24),
        fc.uint8Array({ maxLength: 1500 }),
        fc.uint8Array({ maxLength: 120 }),
        (key, nonce, plaintext, aad) => {
          const sealed = nodeXChaCha20Poly1305.seal(key, nonce, plaintext, aad);
          expect(sealed).toEqual(nobleXChaCha20Poly1305.seal(key, nonce, plaintext, aad));
          expect(nobleXChaCha20Poly1305.open(key, nonce, sealed, aad)).toEqual(plaintext);
          expect(nodeXChaCha20Poly1305.open(key, nonce, sealed, aad)).toEqual(plaintext);
        },
      ),
    );
  });

  it('returns undefined, never throws, for tampered or truncated input', () => {
    fc.assert(
      fc.property(
        bytes(32),
        bytes(24),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        (key, nonce, plaintext, flip) => {
          const sealed = nodeXChaCha20Poly1305.seal(key, nonce, plaintext, new Uint8Array());
          const tampered = sealed.slice();
          const index = flip % tampered.length;
          tampered[index] = (tampered[index] as number) ^ 1;
          expect(nodeXChaCha20Poly1305.open(key, nonce, tampered, new Uint8Array())).toBeUndefined();
          expect(
            nodeXChaCha20Poly1305.open(key, nonce, sealed.subarray(0, flip % 16), new Uint8Array()),
          ).toBeUndefined();
        },
      ),
    );
  });
});
