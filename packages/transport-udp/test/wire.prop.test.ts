import { isNodeId, type NodeId } from '@shoal/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeUdpAddress, encodeFrame, encodeUdpAddress } from '../src/index.js';

const nodeIdArb = fc
  .stringMatching(/^[A-Za-z0-9._:-]{1,64}$/)
  .filter(isNodeId)
  .map((id) => id as NodeId);

describe('decoders of untrusted bytes', () => {
  it('decodeFrame never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
        expect(typeof decodeFrame(bytes).ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('decodeFrame round-trips, and every truncation or bit flip still decodes totally', () => {
    fc.assert(
      fc.property(
        nodeIdArb,
        fc.uint8Array({ maxLength: 1200 }),
        fc.nat(),
        fc.nat(),
        (from, payload, cut, flip) => {
          const frame = encodeFrame(from, payload);
          expect(decodeFrame(frame)).toEqual({ ok: true, value: { from, payload } });
          const truncated = decodeFrame(frame.subarray(0, cut % (frame.length + 1)));
          if (truncated.ok) expect(truncated.value.from).toBe(from);
          const flipped = frame.slice();
          const at = flip % flipped.length;
          flipped[at] = (flipped[at] ?? 0) ^ (1 << (flip % 8));
          const result = decodeFrame(flipped);
          if (result.ok) expect(isNodeId(result.value.from)).toBe(true);
        },
      ),
    );
  });

  it('decodeUdpAddress never throws and only accepts exact lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const result = decodeUdpAddress(bytes);
        if (result.ok) expect([7, 19]).toContain(bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('UDP addresses round-trip for IPv4 and IPv6', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        const encoded = encodeUdpAddress({ family: host.includes(':') ? 6 : 4, host, port });
        const decoded = decodeUdpAddress(encoded);
        expect(decoded.ok).toBe(true);
        if (decoded.ok) {
          expect(decoded.value.port).toBe(port);
          expect(encodeUdpAddress(decoded.value)).toEqual(encoded);
        }
      }),
    );
  });
});
