import { describe, expect, it } from 'vitest';
import type { Value } from '../crdt/value.js';
import { ErrorCode } from '../errors/shoal-error.js';
import { decodeValue } from './decode-value.js';
import { encodeValue } from './encode-value.js';
import { MAX_DEPTH_CEILING } from './value-limits.js';

const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex.replaceAll(' ', ''), 'hex'));

/** Decodes expecting refusal with a reason matching `why`. */
function expectRefused(bytes: Uint8Array, why: RegExp, limits = {}): void {
  const result = decodeValue(bytes, limits);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.error).toMatch(why);
}

describe('decodeValue', () => {
  it('decodes __proto__ and constructor as own data keys without touching any prototype', () => {
    const result = decodeValue(
      encodeValue(JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 2}') as Value),
    );
    expect(result.ok).toBe(true);
    const value = (result.ok ? result.value : null) as Record<string, Value>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: 1 });
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('returns binary as a fresh plain Uint8Array, even from a Buffer', () => {
    const input = Buffer.from(encodeValue({ b: new Uint8Array([1, 2, 3]) }));
    const result = decodeValue(input);
    const bytes = (result.ok ? (result.value as { b: Uint8Array }).b : null) as Uint8Array;
    expect(bytes.constructor).toBe(Uint8Array);
    input.fill(0);
    expect([...bytes]).toEqual([1, 2, 3]);
  });

  it('reads every integer and float form, other encoders included', () => {
    const cases: [string, number][] = [
      ['cc ff', 255],
      ['cd ffff', 65_535],
      ['ce ffffffff', 0xffff_ffff],
      ['cf 001fffff ffffffff', Number.MAX_SAFE_INTEGER],
      ['d0 80', -128],
      ['d1 8000', -32_768],
      ['d2 80000000', -(2 ** 31)],
      ['d3 ffe00000 00000001', Number.MIN_SAFE_INTEGER],
      ['ca 3fc00000', 1.5],
      ['cb 8000000000000000', 0],
    ];
    for (const [hex, value] of cases) expect(decodeValue(fromHex(hex))).toEqual({ ok: true, value });
    const negativeZero = decodeValue(fromHex('cb 8000000000000000'));
    expect(negativeZero.ok && Object.is(negativeZero.value, 0)).toBe(true);
  });

  it.each([
    ['an empty input', '', /needs 1 bytes/],
    ['the never-used byte 0xc1', 'c1', /unsupported MessagePack type 0xc1/],
    ['a timestamp extension (a Date in msgpackr)', 'd6ff00000000', /type 0xd6/],
    ['msgpackr undefined', 'd40000', /type 0xd4/],
    ['an ext8', 'c7 01 05 00', /type 0xc7/],
    ['NaN', 'cb 7ff8000000000000', /non-finite/],
    ['float32 Infinity', 'ca 7f800000', /non-finite/],
    ['uint64 beyond 2^53 - 1', 'cf 00200000 00000000', /precision/],
    ['int64 below -(2^53 - 1)', 'd3 ffe00000 00000000', /precision/],
    ['a nil object key', '81 c0 c3', /key of type 0xc0/],
    ['an integer object key', '81 01 c3', /key of type 0x1/],
    ['a duplicate object key', '82 a161 01 a161 02', /duplicate object key "a"/],
    ['a duplicate __proto__ key', '82 a95f5f70726f746f5f5f 01 a95f5f70726f746f5f5f 02', /duplicate/],
    ['invalid UTF-8', 'a2 c328', /UTF-8/],
    ['an encoded surrogate', 'a3 eda080', /UTF-8/],
    ['an overlong encoding', 'a2 c0af', /UTF-8/],
    ['invalid UTF-8 in a long string', `d9 28 ${'61'.repeat(39)} ff`, /UTF-8/],
    ['trailing bytes', 'c0 c0', /1 trailing bytes/],
    ['a truncated array', '92 01', /2 entries declared, only 1 bytes left/],
    ['a truncated nested array', '92 91 01', /needs 1 bytes/],
  ])('refuses %s', (_, hex, why) => {
    expectRefused(fromHex(hex), why);
  });

  it('fails fast on a 2^32 - 1 element array declared in 6 bytes, before allocating', () => {
    const hostile = fromHex('dd ffffffff c0');
    expectRefused(hostile, /4294967295 entries, above maxEntries/);
    // With the entry limit lifted, the bytes that remain still bound the count.
    expectRefused(hostile, /4294967295 entries declared, only 1 bytes left/, { maxEntries: 2 ** 32 });
    expectRefused(fromHex('df ffffffff c0 c0'), /only 2 bytes left/, { maxEntries: 2 ** 32 });
  });

  it('fails fast on huge declared string and binary lengths', () => {
    expectRefused(fromHex('db ffffffff 61'), /string of 4294967295 bytes, above maxStringBytes/);
    expectRefused(fromHex('c6 ffffffff 61'), /binary of 4294967295 bytes, above maxBinaryBytes/);
    const unlimited = { maxStringBytes: 2 ** 32, maxBinaryBytes: 2 ** 32 };
    expectRefused(fromHex('db ffffffff 61'), /needs 4294967295 bytes, only 1 left/, unlimited);
    expectRefused(fromHex('c6 ffffffff 61'), /needs 4294967295 bytes, only 1 left/, unlimited);
  });

  it('refuses 10 000 levels of nesting at maxDepth, without deep recursion', () => {
    const deep = new Uint8Array(10_001).fill(0x91);
    deep[10_000] = 0xc0;
    expectRefused(deep, /deeper than maxDepth 32 \(at byte 33\)/);
    expectRefused(deep, /deeper than maxDepth 1000/, { maxDepth: MAX_DEPTH_CEILING });
  });

  it('accepts exactly maxDepth levels', () => {
    const bytes = new Uint8Array(33).fill(0x91);
    bytes[32] = 0x01;
    expect(decodeValue(bytes).ok).toBe(true);
    expectRefused(bytes, /deeper than maxDepth 31/, { maxDepth: 31 });
  });

  it('refuses input longer than maxBytes before reading it', () => {
    expectRefused(encodeValue('abc'), /4 bytes, above maxBytes 3/, { maxBytes: 3 });
  });

  it('applies the limits the encoder applies', () => {
    expectRefused(encodeValue([1, 2, 3]), /3 entries, above maxEntries 2/, { maxEntries: 2 });
    expectRefused(encodeValue({ abcd: 1 }), /string of 4 bytes/, { maxStringBytes: 3 });
    expectRefused(encodeValue(new Uint8Array(4)), /binary of 4 bytes/, { maxBinaryBytes: 3 });
  });

  it('throws only for malformed limits', () => {
    expect(() => decodeValue(new Uint8Array(), { maxEntries: Number.NaN })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
  });
});
