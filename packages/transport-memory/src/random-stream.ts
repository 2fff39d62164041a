import type { RandomPort } from '@shoal/core';

/**
 * The simulation's seeded PRNG: sfc32 with splitmix32 seeding. It is the same algorithm as
 * `SeededRandom` in `@shoal/testkit` (which this runtime package must not depend on), so a
 * given seed and label give the same numbers in both.
 *
 * Guarantees: the stream is a pure function of the seed; `fork(label)` depends only on the
 * seed and the label, never on how many numbers were drawn.
 */
export class RandomStream implements RandomPort {
  readonly seed: number;
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  constructor(seed: number) {
    this.seed = seed;
    const [lo, hi] = seedWords(seed);
    this.#a = splitmix32(lo);
    this.#b = splitmix32(hi ^ 0x6a09e667);
    this.#c = splitmix32((lo ^ Math.imul(hi, 0x9e3779b9)) + 0x3c6ef372);
    // The first outputs of sfc32 are poorly mixed; the reference implementation discards 12.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** An unsigned 32-bit integer, uniformly distributed. */
  nextUint32(): number {
    const t0 = (this.#a + this.#b) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    const c = (this.#c << 21) | (this.#c >>> 11);
    this.#d = (this.#d + 1) | 0;
    const t = (t0 + this.#d) | 0;
    this.#c = (c + t) | 0;
    return t >>> 0;
  }

  /** An independent stream derived from this one's seed and `label`. */
  fork(label: string): RandomStream {
    const [lo, hi] = seedWords(this.seed);
    let h1 = splitmix32(lo ^ 0x85ebca6b);
    let h2 = splitmix32(hi ^ 0xc2b2ae35);
    for (let i = 0; i < label.length; i++) {
      const code = label.charCodeAt(i);
      h1 = fmix32(h1 ^ code ^ Math.imul(i, 0x27d4eb2f));
      h2 = fmix32(h2 + code + Math.imul(h1, 0x165667b1));
    }
    h1 = fmix32(h1 ^ label.length);
    h2 = fmix32(h2 ^ h1);
    return new RandomStream((h2 & 0x1f_ffff) * 0x1_0000_0000 + (h1 >>> 0));
  }
}

const scratch = new DataView(new ArrayBuffer(8));

function seedWords(seed: number): [number, number] {
  scratch.setFloat64(0, seed === 0 ? 0 : seed);
  return [scratch.getUint32(4), scratch.getUint32(0)];
}

function fmix32(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}
