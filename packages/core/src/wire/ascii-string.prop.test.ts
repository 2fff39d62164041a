import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ASCII_STRING_MAX, asciiString } from './ascii-string.js';

const text = new TextDecoder();

describe('asciiString', () => {
  it('reads any ASCII range as the UTF-8 decoder does, and refuses a range with any other byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: ASCII_STRING_MAX + 8 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = a % (bytes.length + 1);
        const end = Math.min(bytes.length, start + (b % (ASCII_STRING_MAX + 1)));
        const range = bytes.subarray(start, end);
        const expected = range.every((byte) => byte < 0x80) ? text.decode(range) : undefined;
        expect(asciiString(bytes, start, end)).toBe(expected);
      }),
    );
  });

  it('refuses a range longer than it reads', () => {
    const bytes = new Uint8Array(ASCII_STRING_MAX + 1).fill(0x61);
    expect(() => asciiString(bytes, 0, bytes.length)).toThrow(RangeError);
  });
});
