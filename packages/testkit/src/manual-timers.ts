import { ErrorCode, ShoalError, type TimerPort } from '@shoal/core';
import { settleMicrotasks } from '@shoal/transport-memory';

/** Wall clock at monotonic time 0 unless told otherwise: 2026-01-01T00:00:00Z. */
export const DEFAULT_EPOCH = Date.UTC(2026, 0, 1);

/** Options for {@link ManualTimers}. */
export interface ManualTimersOptions {
  /** Wall-clock ms that `now()` reports at monotonic time 0. Default {@link DEFAULT_EPOCH}. */
  readonly epoch?: number;
}

interface PendingTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A {@link TimerPort} that only moves when a test tells it to.
 *
 * - `monotonic()` starts at 0 and moves only through {@link ManualTimers.advance}.
 * - `now()` is `epoch + monotonic() + offset`, floored to whole ms like `Date.now()`; the
 *   offset is changed by {@link ManualTimers.setNow} and {@link ManualTimers.skew} without
 *   touching monotonic time, so tests can make the wall clock jump either way.
 * - Callbacks run in (due time, scheduling order) order, each seeing `monotonic()` equal to
 *   its due time; callbacks scheduled by callbacks run in the same `advance` if they fall due.
 * - Unlike a real event loop, callbacks run on `advance`'s stack and an exception thrown by
 *   one propagates out of `advance` (the failing timer is already removed), so a test sees it.
 */
export class ManualTimers implements TimerPort {
  readonly #epoch: number;
  #time = 0;
  #offset = 0;
  #seq = 0;
  // Sorted by (due, seq); tests hold few timers, so insertion by binary search is plenty.
  readonly #pending: PendingTimer[] = [];

  constructor(options: ManualTimersOptions = {}) {
    this.#epoch = options.epoch ?? DEFAULT_EPOCH;
  }

  now(): number {
    return Math.floor(this.#epoch + this.#time + this.#offset);
  }

  monotonic(): number {
    return this.#time;
  }

  /** Schedules `fn` `ms` from now; negative or NaN delays mean 0, `Infinity` means never. */
  setTimeout(fn: () => void, ms: number): () => void {
    if (ms === Number.POSITIVE_INFINITY) return () => {};
    const timer: PendingTimer = { due: this.#time + (ms > 0 ? ms : 0), seq: this.#seq++, fn };
    this.#pending.splice(this.#insertionIndex(timer.due), 0, timer);
    return () => {
      const index = this.#pending.indexOf(timer);
      if (index >= 0) this.#pending.splice(index, 1);
    };
  }

  /** Sets the wall clock so that `now()` returns `wallMs`; monotonic time is unchanged. */
  setNow(wallMs: number): void {
    this.#offset = wallMs - this.#epoch - this.#time;
  }

  /** Moves the wall clock by `deltaMs` (either sign); monotonic time is unchanged. */
  skew(deltaMs: number): void {
    this.#offset += deltaMs;
  }

  /** Number of timers scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Moves monotonic time forward by `ms`, running every callback that falls due on the way.
   * Returns how many callbacks ran.
   *
   * @throws ShoalError `INVALID_ARGUMENT` when `ms` is negative or not finite.
   */
  advance(ms: number): number {
    const end = this.#end(ms);
    let ran = 0;
    for (let timer = this.#takeDue(end); timer !== undefined; timer = this.#takeDue(end)) {
      ran++;
      timer.fn();
    }
    this.#time = end;
    return ran;
  }

  /**
   * Like {@link ManualTimers.advance}, but lets promise-based work settle before time moves
   * and after each callback (see {@link settleMicrotasks}), so async code driven by these
   * timers makes progress exactly as it would between real timer ticks.
   */
  async advanceAsync(ms: number): Promise<number> {
    const end = this.#end(ms);
    let ran = 0;
    await settleMicrotasks();
    for (let timer = this.#takeDue(end); timer !== undefined; timer = this.#takeDue(end)) {
      ran++;
      timer.fn();
      await settleMicrotasks();
    }
    this.#time = end;
    return ran;
  }

  #end(ms: number): number {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new ShoalError(ErrorCode.InvalidArgument, `advance needs a finite ms >= 0, got ${ms}`);
    }
    return this.#time + ms;
  }

  #takeDue(end: number): PendingTimer | undefined {
    const first = this.#pending[0];
    if (first === undefined || first.due > end) return undefined;
    this.#pending.shift();
    this.#time = first.due;
    return first;
  }

  /** First index whose due time is later than `due`: equal times keep scheduling order. */
  #insertionIndex(due: number): number {
    let low = 0;
    let high = this.#pending.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#pending[mid] as PendingTimer).due <= due) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
