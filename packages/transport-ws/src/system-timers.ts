import type { TimerPort } from '@shoal/core';

/**
 * The platform's clock and timers as a {@link TimerPort}: `Date.now`, `performance.now` and
 * `setTimeout`, present in browsers and Node alike. The default of the hub and the client;
 * tests pass `ManualTimers` instead.
 */
export const systemTimers: TimerPort = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};
