import { nobleSha256, type Sha256 } from '@shoal/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from './conformance-bytes.js';
import { fcParams } from './fc-params.js';

/** Builds the {@link Sha256} under test; called once per test. */
export type Sha256Setup = () => Sha256;

/** Tuning for {@link describeSha256Conformance}. */
export interface Sha256ConformanceOptions {
  /** Runs of the fast-check property. Default 200. */
  readonly numRuns?: number;
}

/** FIPS 180-4 example digests (NIST's "abc" and the empty message). */
const VECTORS = [
  { input: new Uint8Array(), digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  {
    input: new TextEncoder().encode('abc'),
    digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  },
];

/**
 * The contract of a {@link Sha256} port: FIPS 180-4's digests, the same bytes as core's
 * `nobleSha256` on any input (stream chains must hash alike on every node), views of larger
 * buffers hashed by their own bytes only, and a fresh 32-byte result each call.
 */
export function describeSha256Conformance(
  name: string,
  setup: Sha256Setup,
  options: Sha256ConformanceOptions = {},
): void {
  describe(`Sha256 conformance: ${name}`, () => {
    it('gives the FIPS 180-4 digests', () => {
      const sha256 = setup();
      for (const { input, digest } of VECTORS) expect(sha256(input)).toEqual(hex(digest));
    });

    it('hashes any bytes as nobleSha256 does, a view by its own bytes, into a fresh array', () => {
      const sha256 = setup();
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(64), fc.nat(64), (bytes, before, after) => {
          const backing = new Uint8Array(before + bytes.length + after).fill(0xa5);
          backing.set(bytes, before);
          const view = backing.subarray(before, before + bytes.length);
          const digest = sha256(view);
          expect(digest).toHaveLength(32);
          expect(digest).toEqual(nobleSha256(bytes));
          const again = sha256(view);
          expect(again).not.toBe(digest);
          again.fill(0);
          expect(digest).toEqual(nobleSha256(bytes));
        }),
        fcParams({ numRuns: options.numRuns ?? 200 }),
      );
    });
  });
}
