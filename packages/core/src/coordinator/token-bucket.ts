/**
 * A token bucket: `perSecond` tokens a second flow in, up to `burst`; it starts full.
 *
 * Guarantee: the cost {@link TokenBucket.tryTake} accepts within any window of `w` ms is at most
 * `burst + perSecond × w / 1000`. {@link TokenBucket.charge} takes cost after the fact (work
 * already done) and may leave the bucket in debt, down to `-burst`; nothing fits until refill
 * repays it.
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /** `now` is monotonic ms; every later call must pass a `now` no smaller than the last. */
  constructor(perSecond: number, burst: number, now: number) {
    this.#perMs = perSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Whether `cost` fits now (0 fits while the bucket is not in debt). */
  fits(cost: number, now: number): boolean {
    this.#refill(now);
    return this.#tokens >= cost;
  }

  /** Takes `cost` when it fits and says whether it did. */
  tryTake(cost: number, now: number): boolean {
    if (!this.fits(cost, now)) return false;
    this.#tokens -= cost;
    return true;
  }

  /**
   * Takes `cost` whether it fits or not. The debt stops at one burst, so one long stall (a GC
   * pause charged to whoever was being served) shuts a sender out for at most `burst ÷ rate`.
   */
  charge(cost: number, now: number): void {
    this.#refill(now);
    this.#tokens = Math.max(-this.#burst, this.#tokens - cost);
  }

  #refill(now: number): void {
    if (now <= this.#at) return;
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
  }
}
