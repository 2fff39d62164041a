import { type Compression, fflateCompression, SeededRandom } from '@shoal/core';
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { beforeEach, describe, expect, it } from 'vitest';
import { hex } from './conformance-bytes.js';
import { fcParams } from './fc-params.js';

/** Builds the {@link Compression} under test; called once per test. */
export type CompressionSetup = () => Compression | Promise<Compression>;

/** Tuning for {@link describeCompressionConformance}. */
export interface CompressionConformanceOptions {
  /** Runs of each fast-check property. Default 100. */
  readonly numRuns?: number;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

// Message bodies look like this: short, repetitive, structured. Random bytes cover the rest.
const texty = fc
  .array(fc.constantFrom('key-', 'value-', '{"v":', '1', '2', '"s":', '}', 'x'), { maxLength: 400 })
  .map((parts) => utf8(parts.join('')));
const bodies = fc.oneof(texty, fc.uint8Array({ maxLength: 3000 }));

/** Raw DEFLATE streams made by other encoders (RFC 1951 §3.2.4 by hand; zlib 1.3 level 9). */
const FOREIGN_STREAMS = [
  { what: 'a stored block', stream: hex('010500faff68656c6c6f'), body: utf8('hello') },
  {
    what: "zlib's fixed-Huffman block",
    stream: hex('cb48cdc9c957c8402775148a33f213731401'),
    body: utf8('hello hello hello hello, shoal!'),
  },
];

/**
 * 40 000 bytes whose second half repeats the first: inflating its deflated form needs back
 * references 20 000 bytes long, so an implementation that deflates with a small window must
 * still inflate with the full 32 KiB one.
 */
function farRepeat(): Uint8Array {
  const random = new SeededRandom(34);
  const half = Uint8Array.from({ length: 20_000 }, () => random.nextUint32() & 0xff);
  const body = new Uint8Array(40_000);
  body.set(half, 0);
  body.set(half, 20_000);
  return body;
}

/**
 * Registers a vitest suite checking that a {@link Compression} adapter keeps the port's
 * contract: `inflate(deflate(x), x.length) = x` for any body, including empty; it inflates raw
 * DEFLATE from other encoders (a stored block, zlib's fixed Huffman, fflate's dynamic Huffman at
 * several levels, back references across the full 32 KiB window), and the reference
 * `fflateCompression` inflates what it deflates; repetitive bodies shrink; and `inflate`
 * returns `undefined`, never throwing, when the stated length is wrong by any amount, when the
 * stream is truncated or garbage, and when a small stream would grow far past its stated
 * length (a bomb). Stated lengths are what the caller passes: non-negative integers it has
 * already bounded.
 */
export function describeCompressionConformance(
  name: string,
  setup: CompressionSetup,
  options: CompressionConformanceOptions = {},
): void {
  const params = fcParams({ numRuns: options.numRuns ?? 100 });

  describe(`Compression conformance: ${name}`, () => {
    let compression: Compression;

    beforeEach(async () => {
      compression = await setup();
    });

    it('inflates what it deflates, to exactly the body, empty included', () => {
      expect(compression.inflate(compression.deflate(new Uint8Array(0)), 0)).toEqual(new Uint8Array(0));
      fc.assert(
        fc.property(bodies, (body) => {
          expect(compression.inflate(compression.deflate(body), body.length)).toEqual(body);
        }),
        params,
      );
    });

    it('shrinks a repetitive body', () => {
      const body = utf8('{"key":"lights","value":{"on":true,"level":3}}'.repeat(100));
      expect(compression.deflate(body).length).toBeLessThan(body.length / 10);
    });

    it('inflates raw DEFLATE made by other encoders', () => {
      for (const { what, stream, body } of FOREIGN_STREAMS) {
        expect(compression.inflate(stream, body.length), what).toEqual(body);
      }
      const far = farRepeat();
      expect(compression.inflate(deflateSync(far, { level: 9 }), far.length)).toEqual(far);
      fc.assert(
        fc.property(bodies, fc.constantFrom(0, 1, 6, 9), (body, level) => {
          expect(compression.inflate(deflateSync(body, { level }), body.length)).toEqual(body);
        }),
        params,
      );
    });

    it('deflates streams that the reference implementation inflates', () => {
      const far = farRepeat();
      expect(fflateCompression.inflate(compression.deflate(far), far.length)).toEqual(far);
      fc.assert(
        fc.property(bodies, (body) => {
          expect(fflateCompression.inflate(compression.deflate(body), body.length)).toEqual(body);
        }),
        params,
      );
    });

    it('refuses a stream whose stated length is wrong, by one or by far', () => {
      fc.assert(
        fc.property(bodies, fc.integer({ min: 1, max: 100_000 }), (body, error) => {
          const deflated = compression.deflate(body);
          expect(compression.inflate(deflated, body.length + 1)).toBeUndefined();
          expect(compression.inflate(deflated, body.length + error)).toBeUndefined();
          if (body.length > 0) {
            expect(compression.inflate(deflated, body.length - 1)).toBeUndefined();
            expect(compression.inflate(deflated, Math.max(0, body.length - error))).toBeUndefined();
          }
        }),
        params,
      );
    });

    it('refuses a truncated stream without throwing', () => {
      fc.assert(
        fc.property(bodies, fc.nat(), (body, cut) => {
          fc.pre(body.length > 0);
          const deflated = compression.deflate(body);
          expect(
            compression.inflate(deflated.subarray(0, cut % deflated.length), body.length),
          ).toBeUndefined();
        }),
        params,
      );
    });

    it('never throws on garbage, and whatever it returns has the stated length', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(5_000), (garbage, length) => {
          const inflated = compression.inflate(garbage, length);
          if (inflated !== undefined) expect(inflated).toHaveLength(length);
        }),
        params,
      );
    });

    it('stops a bomb at the length it claims', () => {
      const size = 4 * 1024 * 1024;
      const bomb = compression.deflate(new Uint8Array(size));
      expect(bomb.length).toBeLessThan(8 * 1024);
      expect(compression.inflate(bomb, 1_000)).toBeUndefined();
      expect(compression.inflate(bomb, size - 1)).toBeUndefined();
      expect(compression.inflate(deflateSync(new Uint8Array(size)), 64 * 1024)).toBeUndefined();
    });
  });
}
