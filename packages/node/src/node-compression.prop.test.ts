import { fflateCompression } from '@shoal/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeZlibCompression } from './node-compression.js';

const texty = fc
  .array(fc.constantFrom('key-', 'value-', '{"v":', '1', '2', '"s":', '}', 'x'), { maxLength: 400 })
  .map((parts) => new TextEncoder().encode(parts.join('')));
const bodies = fc.oneof(texty, fc.uint8Array({ maxLength: 3000 }));

describe('nodeZlibCompression', () => {
  it('interoperates with fflate both ways', () => {
    fc.assert(
      fc.property(bodies, (body) => {
        for (const [from, to] of [
          [nodeZlibCompression, fflateCompression],
          [fflateCompression, nodeZlibCompression],
        ] as const) {
          expect(to.inflate(from.deflate(body), body.length)).toEqual(body);
        }
      }),
    );
  });

  it('refuses a stream whose stated length is wrong, and garbage, without throwing', () => {
    fc.assert(
      fc.property(texty, fc.uint8Array({ maxLength: 64 }), (body, garbage) => {
        fc.pre(body.length > 1);
        const deflated = nodeZlibCompression.deflate(body);
        expect(nodeZlibCompression.inflate(deflated, body.length - 1)).toBeUndefined();
        expect(nodeZlibCompression.inflate(deflated, body.length + 1)).toBeUndefined();
        expect(() => nodeZlibCompression.inflate(garbage, 100)).not.toThrow();
      }),
    );
  });

  it('stops a bomb at the length it claims', () => {
    const bomb = nodeZlibCompression.deflate(new Uint8Array(4 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(8 * 1024);
    expect(nodeZlibCompression.inflate(bomb, 1000)).toBeUndefined();
  });
});
