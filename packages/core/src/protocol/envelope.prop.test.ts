import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../wire/byte-writer.js';
import { decodeEnvelope, encodeEnvelope, MAX_INFLATED_BYTES } from './envelope.js';
import { MessageType } from './message-type.js';

const repetitive = fc
  .string({ maxLength: 20 })
  .chain((unit) => fc.nat({ max: 300 }).map((times) => new TextEncoder().encode(unit.repeat(times))));

describe('envelope', () => {
  it('round-trips every body, compressing only when it pays', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(MessageType.Delta, MessageType.Digest, MessageType.Membership),
        fc.oneof(fc.uint8Array({ maxLength: 3000 }), repetitive),
        fc.option(fc.uint8Array({ maxLength: 50 }), { nil: undefined }),
        (type, body, piggyback) => {
          const bytes = encodeEnvelope(type, body, piggyback);
          const decoded = decodeEnvelope(bytes);
          expect(decoded.ok && decoded.value.body).toEqual(body);
          expect(decoded.ok && decoded.value.type).toBe(type);
          expect(decoded.ok && decoded.value.piggyback).toEqual(piggyback ?? new Uint8Array(0));
          expect(bytes.length).toBeLessThanOrEqual(body.length + 8 + (piggyback?.length ?? 0));
          // Without gossip, one byte of envelope around a body that is not deflated.
          if (piggyback === undefined && (bytes[0] as number) < 0x80)
            expect(bytes.length).toBe(body.length + 1);
        },
      ),
    );
  });

  it('shrinks a repetitive delta', () => {
    const body = new TextEncoder().encode('key-1 value-1 '.repeat(80));
    expect(encodeEnvelope(MessageType.Delta, body).length).toBeLessThan(body.length / 4);
  });

  it('refuses, without throwing, bodies that lie about their length or are not deflate data', () => {
    const compressed = (length: number, data: Uint8Array) =>
      new ByteWriter(64)
        .writeU8(MessageType.Delta | 0x80)
        .writeVarint(length)
        .writeRaw(data)
        .finish();
    const real = deflateSync(new Uint8Array(1000).fill(1));
    expect(decodeEnvelope(compressed(MAX_INFLATED_BYTES + 1, real)).ok).toBe(false);
    expect(decodeEnvelope(compressed(2000, real)).ok).toBe(false);
    fc.assert(
      fc.property(fc.nat({ max: 5000 }), fc.uint8Array({ maxLength: 200 }), (length, data) => {
        const result = decodeEnvelope(compressed(length, data));
        if (result.ok) expect(result.value.body.length).toBe(length);
      }),
    );
  });
});
