import { describe, expect, it } from 'vitest';
import { placeOf } from './key-place.js';

/** The seed-0 MurmurHash3 half of a place (its high 32 bits). */
const high = (key: string) => Math.floor(placeOf(key) / 0x10000);
/** The seed-1 half's top 16 bits (the place's low 16). */
const low = (key: string) => placeOf(key) % 0x10000;

describe('placeOf', () => {
  it('is MurmurHash3_x86_32 of the UTF-8, seeds 0 and 1 (published vectors)', () => {
    expect(high('')).toBe(0);
    expect(low('')).toBe(0x514e28b7 >>> 16);
    expect(high('hello')).toBe(0x248bfa47);
    expect(high('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('stays within 48 bits and spreads similar keys over the first nibble', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const place = placeOf(`key-${i}`);
      expect(place).toBeLessThan(2 ** 48);
      const nibble = Math.floor(place / 2 ** 44);
      counts[nibble] = (counts[nibble] as number) + 1;
    }
    // 1000 expected per nibble; a fair spread stays well within ±15 %.
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
