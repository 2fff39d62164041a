import { describe, expect, it } from 'vitest';
import { KeyCache } from './key-cache.js';

const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

describe('KeyCache', () => {
  it('returns the exact key even when two keys share a slot', () => {
    const cache = new KeyCache();
    // '!@' and '"!' hash to the same slot, so each lookup must compare bytes, not trust the slot.
    for (const key of ['!@', '"!', '!@', '"!']) expect(cache.lookup(ascii(key), 0, 2)).toBe(key);
  });

  it('reads the key at an offset inside a larger input', () => {
    expect(new KeyCache().lookup(ascii('xxkeyxx'), 2, 3)).toBe('key');
  });

  it('leaves non-ASCII and long keys to the caller', () => {
    const cache = new KeyCache();
    expect(cache.lookup(Uint8Array.of(0xc3, 0xa9), 0, 2)).toBeUndefined();
    expect(cache.lookup(ascii('k'.repeat(25)), 0, 25)).toBeUndefined();
  });
});
