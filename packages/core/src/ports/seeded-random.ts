import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { RandomPort } from './random-port.js';

/**
 * A fast, seeded {@link RandomPort}: sfc32 (Chris Doty-Humphrey's "small fast chaotic" PRNG,
 * passes PractRand to 2^42 bytes and more), with its state expanded from the seed by
 * splitmix32 so nearby seeds give unrelated streams.
 *
 * Guarantees:
 * - The sequence is a pure function of `seed`: the same seed replays the same numbers on
 *   every platform (only 32-bit integer arithmetic is used).
 * - `next()` is in [0, 1) with 32 bits of resolution.
 * - `fork(label)` depends only on this generator's `seed` and `label`, never on how many
 *   numbers were drawn, so adding a draw in one place does not shift other forks' streams.
 *
 * Not cryptographic: never use it for keys or nonces.
 */
export class SeededRandom implements RandomPort {
  /** The seed this generator was built from; `new SeededRandom(seed)` replays it. */
  readonly seed: number;
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  /** @throws ShoalError `INVALID_ARGUMENT` when `seed` is not a finite number. */
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) {
      throw new ShoalError(ErrorCode.InvalidArgument, `seed must be a finite number, got ${String(seed)}`);
    }
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

  /**
   * An independent generator derived from this one's seed and `label`. The same label always
   * gives the same stream (`fork('a')` twice replays the same numbers); different labels give
   * unrelated streams. The fork's `seed` is a 53-bit integer that rebuilds it on its own.
   */
  fork(label: string): SeededRandom {
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
    return new SeededRandom((h2 & 0x1f_ffff) * 0x1_0000_0000 + (h1 >>> 0));
  }
}

const scratch = new DataView(new ArrayBuffer(8));

/** The seed's IEEE-754 bits as two 32-bit words, so every distinct number is a distinct seed. */
function seedWords(seed: number): [number, number] {
  // -0 and 0 are the same seed to a user.
  scratch.setFloat64(0, seed === 0 ? 0 : seed);
  return [scratch.getUint32(4), scratch.getUint32(0)];
}

/** The murmur3 finalizer: a bijective 32-bit mix with full avalanche. */
function fmix32(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One splitmix32 step from `state`: how sfc32's authors recommend expanding a small seed. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}
