import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type Aead } from '@shoal/core';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { flipBit, hex, unaligned } from './conformance-bytes.js';
import { fcParams } from './fc-params.js';

/** Builds the {@link Aead} under test; called once per test. */
export type AeadSetup = () => Aead | Promise<Aead>;

/** Tuning for {@link describeAeadConformance}. */
export interface AeadConformanceOptions {
  /** Runs of each fast-check property. Default 100. */
  readonly numRuns?: number;
}

/** XChaCha20-Poly1305 key length; the wire format fixes it (core exports no constant for it). */
const KEY_BYTES = 32;

const sized = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const keyArb = sized(KEY_BYTES);
const nonceArb = sized(AEAD_NONCE_BYTES);
const plaintextArb = fc.uint8Array({ maxLength: 1500 });
const aadArb = fc.uint8Array({ maxLength: 96 });

/**
 * The known-answer test of draft-irtf-cfrg-xchacha-03, appendix A.3.1: pins the algorithm, so
 * an adapter that round-trips but is not XChaCha20-Poly1305 (and would not interoperate) fails.
 */
const VECTOR = {
  key: hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
  nonce: hex('404142434445464748494a4b4c4d4e4f5051525354555657'),
  aad: hex('50515253c0c1c2c3c4c5c6c7'),
  plaintext: new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  ),
  sealed: hex(
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39' +
      'ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9' +
      '21f9664c97637da9768812f615c68b13b52e' +
      'c0875924c1c7987947deafd8780acf49',
  ),
};

/**
 * Registers a vitest suite checking that an {@link Aead} adapter is XChaCha20-Poly1305 and keeps
 * the port's contract: the draft's known-answer vector; `open(seal(x)) = x` with
 * `seal` adding exactly {@link AEAD_TAG_BYTES}, leaving its inputs untouched and working on
 * unaligned subarrays; `open` returns `undefined`, and never throws, for any bit flip,
 * truncation or extension of the sealed bytes, for a different key, nonce or associated data,
 * for random bytes, and for a key or nonce of the wrong size; and `seal` throws, rather than
 * sealing under some other key, when the key is not 32 bytes or the nonce not
 * {@link AEAD_NONCE_BYTES}.
 */
export function describeAeadConformance(
  name: string,
  setup: AeadSetup,
  options: AeadConformanceOptions = {},
): void {
  const params = fcParams({ numRuns: options.numRuns ?? 100 });

  describe(`Aead conformance: ${name}`, () => {
    let aead: Aead;

    beforeEach(async () => {
      aead = await setup();
    });

    it('seals and opens the XChaCha20-Poly1305 known-answer vector', () => {
      const { key, nonce, aad, plaintext, sealed } = VECTOR;
      expect(aead.seal(key, nonce, plaintext, aad)).toEqual(sealed);
      expect(aead.open(key, nonce, sealed, aad)).toEqual(plaintext);
    });

    it('opens what it seals, adding exactly the tag and leaving its inputs untouched', () => {
      fc.assert(
        fc.property(keyArb, nonceArb, plaintextArb, aadArb, (key, nonce, plaintext, aad) => {
          const copies = [key, nonce, plaintext, aad].map((bytes) => bytes.slice());
          const sealed = aead.seal(key, nonce, plaintext, aad);
          expect(sealed.length).toBe(plaintext.length + AEAD_TAG_BYTES);
          expect(aead.open(key, nonce, sealed, aad)).toEqual(plaintext);
          expect([key, nonce, plaintext, aad]).toEqual(copies);
        }),
        params,
      );
    });

    it('gives the same results for inputs that are unaligned subarrays', () => {
      fc.assert(
        fc.property(keyArb, nonceArb, plaintextArb, aadArb, (key, nonce, plaintext, aad) => {
          const sealed = aead.seal(key, nonce, plaintext, aad);
          expect(aead.seal(unaligned(key), unaligned(nonce), unaligned(plaintext), unaligned(aad))).toEqual(
            sealed,
          );
          expect(aead.open(unaligned(key), unaligned(nonce), unaligned(sealed), unaligned(aad))).toEqual(
            plaintext,
          );
        }),
        params,
      );
    });

    it('refuses any bit flip, truncation or extension of the sealed bytes, without throwing', () => {
      fc.assert(
        fc.property(keyArb, nonceArb, plaintextArb, aadArb, fc.nat(), (key, nonce, plaintext, aad, pick) => {
          const sealed = aead.seal(key, nonce, plaintext, aad);
          expect(aead.open(key, nonce, flipBit(sealed, pick), aad)).toBeUndefined();
          expect(aead.open(key, nonce, sealed.subarray(0, pick % sealed.length), aad)).toBeUndefined();
          const extended = new Uint8Array(sealed.length + 1);
          extended.set(sealed);
          expect(aead.open(key, nonce, extended, aad)).toBeUndefined();
        }),
        params,
      );
    });

    it('refuses every truncation shorter than a tag, down to empty', () => {
      const { key, nonce, aad } = VECTOR;
      const sealed = aead.seal(key, nonce, new Uint8Array(0), aad);
      expect(sealed).toHaveLength(AEAD_TAG_BYTES);
      expect(aead.open(key, nonce, sealed, aad)).toEqual(new Uint8Array(0));
      for (let length = 0; length < AEAD_TAG_BYTES; length++) {
        expect(aead.open(key, nonce, sealed.subarray(0, length), aad)).toBeUndefined();
      }
    });

    it('binds the key, the nonce and the associated data', () => {
      fc.assert(
        fc.property(keyArb, nonceArb, plaintextArb, aadArb, fc.nat(), (key, nonce, plaintext, aad, bit) => {
          const sealed = aead.seal(key, nonce, plaintext, aad);
          expect(aead.open(flipBit(key, bit), nonce, sealed, aad)).toBeUndefined();
          expect(aead.open(key, flipBit(nonce, bit), sealed, aad)).toBeUndefined();
          if (aad.length > 0) {
            expect(aead.open(key, nonce, sealed, flipBit(aad, bit))).toBeUndefined();
            expect(aead.open(key, nonce, sealed, aad.subarray(0, aad.length - 1))).toBeUndefined();
          }
          const longer = new Uint8Array(aad.length + 1);
          longer.set(aad);
          expect(aead.open(key, nonce, sealed, longer)).toBeUndefined();
        }),
        params,
      );
    });

    it('returns undefined, never throws, for random bytes', () => {
      fc.assert(
        fc.property(keyArb, nonceArb, fc.uint8Array({ maxLength: 200 }), aadArb, (key, nonce, bytes, aad) => {
          expect(aead.open(key, nonce, bytes, aad)).toBeUndefined();
        }),
        params,
      );
    });

    it('throws from seal, and returns undefined from open, for a key or nonce of the wrong size', () => {
      const { key, nonce, aad, plaintext, sealed } = VECTOR;
      const wrongKeys = [0, 16, 31, 33, 64].map((length) => new Uint8Array(length).fill(0x80));
      const wrongNonces = [0, 12, 23, 25, 32].map((length) => new Uint8Array(length).fill(0x40));
      for (const wrongKey of wrongKeys) {
        expect(() => aead.seal(wrongKey, nonce, plaintext, aad)).toThrow();
        expect(aead.open(wrongKey, nonce, sealed, aad)).toBeUndefined();
      }
      for (const wrongNonce of wrongNonces) {
        expect(() => aead.seal(key, wrongNonce, plaintext, aad)).toThrow();
        expect(aead.open(key, wrongNonce, sealed, aad)).toBeUndefined();
      }
    });
  });
}
