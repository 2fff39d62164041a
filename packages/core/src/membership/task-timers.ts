import type { RandomPort } from '../ports/random-port.js';
import type { TimerPort } from '../ports/timer-port.js';

/**
 * The one-shot and periodic work of a component on a {@link TimerPort}, all cancelled at once by
 * {@link TaskTimers.cancelAll}. Periods are jittered by ± `jitter`/2 so that members never
 * synchronise their probes, gossip or push-pulls.
 */
export class TaskTimers {
  readonly #timers: TimerPort;
  readonly #random: RandomPort;
  readonly #jitter: number;
  readonly #cancels = new Set<() => void>();

  constructor(timers: TimerPort, random: RandomPort, jitter: number) {
    this.#timers = timers;
    this.#random = random;
    this.#jitter = jitter;
  }

  /** `period × (1 ± jitter/2)`, uniformly. */
  jittered(period: number): number {
    return period * (1 + (this.#random.next() - 0.5) * this.#jitter);
  }

  /** Runs `fn` once after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void {
    const cancel = this.#timers.setTimeout(() => {
      this.#cancels.delete(cancel);
      fn();
    }, ms);
    this.#cancels.add(cancel);
    return () => {
      this.#cancels.delete(cancel);
      cancel();
    };
  }

  /** Runs `fn` after every jittered `period` until {@link TaskTimers.cancelAll}. */
  every(period: number, fn: () => void): void {
    this.after(this.jittered(period), () => {
      fn();
      this.every(period, fn);
    });
  }

  /** Cancels everything scheduled through this object. */
  cancelAll(): void {
    for (const cancel of this.#cancels) cancel();
    this.#cancels.clear();
  }
}
