/**
 * All time and scheduling core uses. Core never reads a clock or schedules work itself, so a
 * simulated run on a virtual TimerPort is a pure function of its seed.
 *
 * - `now()` is wall-clock milliseconds since the Unix epoch. It may jump in either direction
 *   (NTP, a user changing the clock, skew in a simulation); it feeds the HLC only.
 * - `monotonic()` never decreases; use it for timeouts and elapsed time.
 * - `setTimeout(fn, ms)` runs `fn` once, no earlier than `ms` from now (monotonic), on a fresh
 *   stack. It returns a cancel function; cancelling twice, or after it ran, is harmless.
 */
export interface TimerPort {
  now(): number;
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): () => void;
}
