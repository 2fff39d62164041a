import type { RandomPort } from './random-port.js';

/**
 * A {@link RandomPort} backed by the platform CSPRNG (`crypto.getRandomValues`, present in
 * browsers, Node ≥ 19, Deno and Bun). The default when no RandomPort is given; pass a seeded
 * one for replayable simulations.
 */
export const cryptoRandom: RandomPort = {
  next(): number {
    const words = new Uint32Array(2);
    globalThis.crypto.getRandomValues(words);
    // 53 random bits, like Math.random's best case: 2^-53 resolution in [0, 1).
    return ((words[0] as number) * 2 ** 21 + ((words[1] as number) >>> 11)) / 2 ** 53;
  },
};
