import type { MapWrite } from './subject.js';

/** The map key of item `i`; every subject uses the same keys and values. */
export function keyOf(i: number): string {
  return `key-${i}`;
}

/** Writes of items [from, to), each with the workload's value shape `{v, s}`. */
export function mapWrites(from: number, to: number, version = 0): MapWrite[] {
  const writes: MapWrite[] = [];
  for (let i = from; i < to; i++) {
    const v = i + version * 1_000_000_000;
    writes.push({ key: keyOf(i), value: { v, s: `value-${v}` } });
  }
  return writes;
}

/** `count` keys spread evenly over [0, keys), rewritten with a new version. */
export function spreadWrites(keys: number, count: number, version: number, offset = 0): MapWrite[] {
  const step = Math.max(1, Math.floor(keys / count));
  const writes: MapWrite[] = [];
  for (let n = 0; n < count; n++)
    writes.push(...mapWrites((offset + n * step) % keys, ((offset + n * step) % keys) + 1, version));
  return writes;
}

const WORDS = 'lorem ipsum dolor sit amet shoal sync gossip delta digest stream entry node peer clock'.split(
  ' ',
);

/**
 * `count` stream payloads of exactly `size` ASCII characters of pseudo-random words, seeded so
 * every subject gets the same text (plain text, so compressing formats get no unfair help).
 */
export function streamPayloads(count: number, seed: number, size = 100): string[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: fast, deterministic, good enough to vary text.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const payloads: string[] = [];
  for (let i = 0; i < count; i++) {
    let text = `${i} `;
    while (text.length < size) text += `${WORDS[Math.floor(next() * WORDS.length)]} `;
    payloads.push(text.slice(0, size));
  }
  return payloads;
}
