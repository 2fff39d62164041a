import type { RandomPort } from '@shoal/core';

/** Tuning of {@link Backoff}; every field has the default of ADR 0020. */
export interface BackoffOptions {
  /** Wait after the first whole pass over the hub list fails. Default 500 ms. */
  readonly baseMs?: number;
  /** Longest wait, before jitter. Default 10 s. */
  readonly maxMs?: number;
  /** A connection that lasted this long counts as healthy: the backoff resets. Default 5 s. */
  readonly stableMs?: number;
}

/**
 * When the client tries its next hub (ADR 0020). A failed attempt moves to the next hub at
 * once; only when a whole pass over the list has failed does it wait,
 * `min(maxMs, baseMs · 2^n) × uniform(0.5, 1.5)` after the n-th failed pass (n from 0), so a
 * thousand clients of a dead hub spread their retries instead of arriving together. A
 * connection that stays up `stableMs` resets the count; one that drops sooner counts as a
 * failed attempt, so a hub that accepts and then drops every client is backed off too.
 *
 * Pure: time is passed in and randomness comes from a {@link RandomPort}.
 */
export class Backoff {
  readonly #random: RandomPort;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #stableMs: number;
  #failuresInPass = 0;
  #failedPasses = 0;
  #connectedAt: number | undefined;

  constructor(random: RandomPort, options: BackoffOptions = {}) {
    this.#random = random;
    this.#baseMs = options.baseMs ?? 500;
    this.#maxMs = options.maxMs ?? 10_000;
    this.#stableMs = options.stableMs ?? 5000;
  }

  /** Passes failed in a row so far. */
  get failedPasses(): number {
    return this.#failedPasses;
  }

  /** A connection came up at monotonic time `now`. */
  connected(now: number): void {
    this.#connectedAt = now;
  }

  /**
   * The attempt (or the connection) ended at `now` with `hubCount` hubs in the list; returns
   * how long to wait before the next attempt.
   */
  ended(now: number, hubCount: number): number {
    const since = this.#connectedAt;
    this.#connectedAt = undefined;
    if (since !== undefined && now - since >= this.#stableMs) {
      this.reset();
      return 0;
    }
    this.#failuresInPass++;
    if (this.#failuresInPass < Math.max(1, hubCount)) return 0;
    this.#failuresInPass = 0;
    const wait = Math.min(this.#maxMs, this.#baseMs * 2 ** this.#failedPasses);
    this.#failedPasses++;
    return wait * (0.5 + this.#random.next());
  }

  /** Forgets every failure (a browser came back online, or the window got focus). */
  reset(): void {
    this.#failuresInPass = 0;
    this.#failedPasses = 0;
  }
}
