import { nobleXChaCha20Poly1305 } from '@shoal/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeXChaCha20Poly1305 } from './node-aead.js';

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

// The port's contract (known-answer vector, tampering, sizes) is checked by the conformance
// suite in test/conformance.test.ts; this property checks byte-for-byte equality with core's
// default over random inputs, which one vector cannot.
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
});

describe('nodeXChaCha20Poly1305 with Node Buffers', () => {
  it('seals and opens with key and nonce given as Buffer views at odd offsets', () => {
    const pool = Buffer.alloc(200, 7);
    const key = pool.subarray(1, 33);
    const nonce = pool.subarray(37, 61);
    const sealed = nodeXChaCha20Poly1305.seal(key, nonce, Uint8Array.of(1, 2, 3), new Uint8Array());
    expect(
      nobleXChaCha20Poly1305.open(new Uint8Array(key), new Uint8Array(nonce), sealed, new Uint8Array()),
    ).toEqual(Uint8Array.of(1, 2, 3));
    expect(nodeXChaCha20Poly1305.open(key, nonce, sealed, new Uint8Array())).toEqual(Uint8Array.of(1, 2, 3));
  });
});
