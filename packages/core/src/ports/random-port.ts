/**
 * The only source of randomness core uses (probe order, jitter, peer choice, node ids).
 * `next()` returns a float in [0, 1). A seeded implementation makes a run replayable.
 * It is not used for secrets: keys and nonces come from a cryptographic source.
 */
export interface RandomPort {
  next(): number;
}

/** A uniformly random integer in [0, bound). */
export function randomInt(random: RandomPort, bound: number): number {
  return Math.floor(random.next() * bound);
}

/** Picks up to `count` distinct elements of `items`, uniformly, without changing `items`. */
export function sample<T>(random: RandomPort, items: readonly T[], count: number): T[] {
  const pool = items.slice();
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    const index = randomInt(random, pool.length);
    picked.push(pool[index] as T);
    pool[index] = pool[pool.length - 1] as T;
    pool.pop();
  }
  return picked;
}
