import { asciiString } from '../wire/ascii-string.js';

/** Keys longer than this are decoded afresh each time: long keys are rare and costly to compare. */
const MAX_CACHED_KEY = 24;
const SLOTS = 4096;

/**
 * Remembers recently decoded short ASCII object keys, by their bytes. Data repeats its keys
 * (every entry of a map has the same few), and an engine stores a property far faster under a
 * string it has seen before than under a freshly built one that it must first look up in its
 * string table. Bounded: at most {@link SLOTS} strings of at most {@link MAX_CACHED_KEY} chars.
 */
export class KeyCache {
  readonly #slots: (string | undefined)[] = new Array(SLOTS).fill(undefined);

  /**
   * The key held in `bytes[start, start + length)`, or undefined when the caller must decode
   * it itself (too long, or not ASCII).
   */
  lookup(bytes: Uint8Array, start: number, length: number): string | undefined {
    if (length > MAX_CACHED_KEY) return undefined;
    const end = start + length;
    let hash = length;
    for (let i = start; i < end; i++) {
      const byte = bytes[i] as number;
      if (byte >= 0x80) return undefined;
      hash = (Math.imul(hash, 31) + byte) | 0;
    }
    const slot = hash & (SLOTS - 1);
    const cached = this.#slots[slot];
    if (cached !== undefined && cached.length === length && sameAscii(cached, bytes, start)) return cached;
    // Checked ASCII above.
    const key = asciiString(bytes, start, end) as string;
    this.#slots[slot] = key;
    return key;
  }
}

function sameAscii(text: string, bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}
