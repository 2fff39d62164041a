import {
  nobleEd25519,
  SIGNATURE_BYTES,
  SIGNING_PUBLIC_KEY_BYTES,
  SIGNING_SECRET_KEY_BYTES,
  type Signer,
} from '@shoal/core';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { flipBit, hex, unaligned } from './conformance-bytes.js';
import { fcParams } from './fc-params.js';

/** Builds the {@link Signer} under test; called once per test. */
export type SignerSetup = () => Signer | Promise<Signer>;

/** Tuning for {@link describeSignerConformance}. */
export interface SignerConformanceOptions {
  /** Runs of each fast-check property. Default 50 (Ed25519 in pure JS is slow). */
  readonly numRuns?: number;
}

const secretArb = fc.uint8Array({ minLength: SIGNING_SECRET_KEY_BYTES, maxLength: SIGNING_SECRET_KEY_BYTES });
const messageArb = fc.uint8Array({ maxLength: 1500 });

/** RFC 8032 §7.1, test 1: pins the algorithm, so a signer that only round-trips fails. */
const VECTOR = {
  secretKey: hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  publicKey: hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
  message: new Uint8Array(0),
  signature: hex(
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  ),
};

/**
 * Registers a vitest suite checking that a {@link Signer} adapter is RFC 8032 Ed25519 and keeps
 * the port's contract: the RFC's known answer; the same public keys and (deterministic)
 * signatures as `nobleEd25519` for any key and message, so nodes on different platforms
 * interoperate; inputs left untouched and unaligned subarrays accepted; and `verify` false,
 * never a throw, for any bit flip of the message or signature, another key, and for keys or
 * signatures of the wrong length or random bytes.
 */
export function describeSignerConformance(
  name: string,
  setup: SignerSetup,
  options: SignerConformanceOptions = {},
): void {
  const params = fcParams({ numRuns: options.numRuns ?? 50 });

  describe(`Signer conformance: ${name}`, () => {
    let signer: Signer;

    beforeEach(async () => {
      signer = await setup();
    });

    it('derives and signs the RFC 8032 known answer', () => {
      expect(signer.publicKey(VECTOR.secretKey)).toEqual(VECTOR.publicKey);
      expect(signer.sign(VECTOR.secretKey, VECTOR.message)).toEqual(VECTOR.signature);
      expect(signer.verify(VECTOR.publicKey, VECTOR.message, VECTOR.signature)).toBe(true);
    });

    it('agrees with the reference implementation byte for byte, and verifies what it signs', () => {
      fc.assert(
        fc.property(secretArb, messageArb, (secretKey, message) => {
          const copies = [secretKey, message].map((bytes) => bytes.slice());
          const publicKey = signer.publicKey(unaligned(secretKey));
          const signature = signer.sign(unaligned(secretKey), unaligned(message));
          expect(publicKey).toHaveLength(SIGNING_PUBLIC_KEY_BYTES);
          expect(signature).toHaveLength(SIGNATURE_BYTES);
          expect(publicKey).toEqual(nobleEd25519.publicKey(secretKey));
          expect(signature).toEqual(nobleEd25519.sign(secretKey, message));
          expect(signer.verify(unaligned(publicKey), unaligned(message), unaligned(signature))).toBe(true);
          expect([secretKey, message]).toEqual(copies);
        }),
        params,
      );
    });

    it('refuses a flipped bit in the message or signature, and another key, without throwing', () => {
      fc.assert(
        fc.property(secretArb, secretArb, messageArb, fc.nat(), (secretKey, other, message, bit) => {
          fc.pre(!other.every((byte, index) => byte === secretKey[index]));
          const publicKey = signer.publicKey(secretKey);
          const signature = signer.sign(secretKey, message);
          expect(signer.verify(publicKey, message, flipBit(signature, bit))).toBe(false);
          if (message.length > 0)
            expect(signer.verify(publicKey, flipBit(message, bit), signature)).toBe(false);
          expect(signer.verify(signer.publicKey(other), message, signature)).toBe(false);
        }),
        params,
      );
    });

    it('answers false, never throws, for keys and signatures of any length or content', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 80 }),
          messageArb,
          fc.uint8Array({ maxLength: 130 }),
          (publicKey, message, signature) => {
            expect(signer.verify(publicKey, message, signature)).toBe(false);
          },
        ),
        params,
      );
      const { publicKey, message, signature } = VECTOR;
      expect(signer.verify(publicKey.subarray(1), message, signature)).toBe(false);
      expect(signer.verify(publicKey, message, signature.subarray(1))).toBe(false);
      expect(signer.verify(new Uint8Array(32), message, new Uint8Array(64))).toBe(false);
    });
  });
}
