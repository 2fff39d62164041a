/** Pacing parameters: a sustained rate and how much may leave at once. */
export interface PacingOptions {
  /** Sustained send rate in bytes per millisecond (1 byte/ms = 1000 B/s). */
  readonly bytesPerMs: number;
  /** Largest burst in bytes sent back to back after an idle period. */
  readonly burstBytes: number;
}

/**
 * A token bucket over an injected monotonic clock (milliseconds). Tokens refill at
 * `bytesPerMs` up to `burstBytes`. A datagram larger than the burst still passes once the
 * bucket is full (the balance goes negative), so no size can starve; the debt then delays
 * what follows, keeping the long-run rate.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(options: PacingOptions, now: number) {
    this.#rate = options.bytesPerMs;
    this.#burst = options.burstBytes;
    this.#tokens = options.burstBytes;
    this.#last = now;
  }

  /** Takes `bytes` tokens if available at `now`; returns whether it did. */
  tryTake(bytes: number, now: number): boolean {
    this.#refill(now);
    if (this.#tokens < Math.min(bytes, this.#burst)) return false;
    this.#tokens -= bytes;
    return true;
  }

  /** Milliseconds from `now` until {@link tryTake} of `bytes` would succeed (0 if it would now). */
  delayFor(bytes: number, now: number): number {
    this.#refill(now);
    const missing = Math.min(bytes, this.#burst) - this.#tokens;
    return missing <= 0 ? 0 : missing / this.#rate;
  }

  #refill(now: number): void {
    // A clock that stands still or (wrongly) steps back adds nothing rather than going negative.
    const elapsed = Math.max(0, now - this.#last);
    this.#last = Math.max(this.#last, now);
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#rate);
  }
}
