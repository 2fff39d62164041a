import type { TimerPort } from '@shoal/core';

/** Browsers store a timer's delay in 32 bits and fire a longer one at once; longer delays are chained. */
const MAX_BROWSER_DELAY = 2 ** 31 - 1;

/**
 * The {@link TimerPort} for browsers and workers: `now` is `Date.now()` (wall clock, may jump,
 * feeds the HLC only), `monotonic` is `performance.now()`, and `setTimeout` is the page's timer.
 *
 * It keeps the port's promise to the letter: a callback never runs before `ms` of `monotonic()`
 * time have passed (a timer that fires early by the coarsened `performance.now()` is re-armed
 * for the rest), delays past the 2^31 - 1 ms cap are honoured rather than fired at once, and a
 * negative or non-finite delay counts as 0. Browsers throttle timers in hidden tabs (to about
 * once a second, or once a minute after long hiding), which slows gossip there but loses nothing.
 */
export const browserTimers: TimerPort = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn: () => void, ms: number): () => void {
    const due = performance.now() + (Number.isFinite(ms) && ms > 0 ? ms : 0);
    const delay = (): number => Math.min(Math.max(Math.ceil(due - performance.now()), 0), MAX_BROWSER_DELAY);
    let handle: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      if (due - performance.now() <= 0) {
        handle = undefined;
        fn();
        return;
      }
      handle = setTimeout(arm, delay());
    };
    // Always through the page's timer first: the callback runs on a fresh stack, never inside this call.
    handle = setTimeout(arm, delay());
    return () => {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    };
  },
};
