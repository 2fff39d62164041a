import { performance } from 'node:perf_hooks';
import type { TimerPort } from '@shoal/core';

/** Node caps a timer's delay at 2^31 - 1 ms and fires a longer one at once; longer delays are chained. */
const MAX_NODE_DELAY = 2 ** 31 - 1;

/**
 * The {@link TimerPort} for Node: `now` is `Date.now()` (wall clock, may jump, feeds the HLC
 * only), `monotonic` is `performance.now()`, and `setTimeout` is Node's timer.
 *
 * Timers stay *ref'd*: a running node is usually the reason its process exists, and a node on
 * a transport without sockets (the simulated network, a WebSocket client that is reconnecting)
 * would otherwise let the process exit under it. Nothing leaks from this choice, because
 * `Coordinator.stop()`/`dispose()` cancel every timer they scheduled: a disposed node never
 * holds its process open.
 *
 * Beyond Node's own timer, it keeps the port's promise to the letter: a callback never runs
 * before `ms` of `monotonic()` time have passed (Node may fire up to a millisecond early by
 * `performance.now()`), delays past Node's 2^31 - 1 ms cap are honoured rather than fired at
 * once, and a negative or non-finite delay counts as 0.
 */
export const nodeTimers: TimerPort = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn: () => void, ms: number): () => void {
    const due = performance.now() + (Number.isFinite(ms) && ms > 0 ? ms : 0);
    let handle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const remaining = due - performance.now();
      if (remaining <= 0) {
        handle = undefined;
        fn();
        return;
      }
      // Node rounds sub-millisecond delays down to 1 ms; ceil keeps the wait from ending early.
      handle = setTimeout(arm, Math.min(Math.ceil(remaining), MAX_NODE_DELAY));
    };
    handle = setTimeout(arm, Math.min(Math.ceil(due - performance.now()), MAX_NODE_DELAY));
    return () => {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    };
  },
};
