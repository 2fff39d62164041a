import type { TimerPort } from '@shoal/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What a {@link TimerPortSetup} hands the conformance suite for one test. */
export interface TimerPortHarness {
  /** The port under test. */
  readonly timers: TimerPort;
  /**
   * Lets time pass: at least `ms` of the port's monotonic time, running whatever falls due on
   * the way. A manual clock advances (`ManualTimers.advanceAsync`); a real one sleeps. The suite
   * never assumes a callback has run after one call: it waits in steps until it has, bounded by
   * {@link TimerPortConformanceOptions.patienceMs} of monotonic time.
   */
  elapse(ms: number): Promise<void>;
  /** Releases what `setup` created; called after each test, even a failing one. */
  teardown?(): void | Promise<void>;
}

/** Builds one isolated {@link TimerPortHarness}; called once per test. */
export type TimerPortSetup = () => TimerPortHarness | Promise<TimerPortHarness>;

/** Tuning for {@link describeTimerPortConformance}. */
export interface TimerPortConformanceOptions {
  /**
   * Monotonic ms the suite waits for a due callback before failing the test. Only a liveness
   * bound: it never asserts how late a callback may be. Default 10 000.
   */
  readonly patienceMs?: number;
}

/**
 * Registers a vitest suite checking that a {@link TimerPort} keeps the port's contract:
 * `monotonic()` never decreases (between calls, across waits, inside callbacks) and `now()` is a
 * finite number; `setTimeout(fn, ms)` runs `fn` exactly once, never before `ms` of monotonic
 * time have passed and never synchronously inside `setTimeout`; a delay of 0, a negative delay
 * and NaN all mean "as soon as possible"; the returned cancel stops a pending callback, is
 * idempotent, and is harmless after the callback ran (it cancels nothing else); callbacks may
 * schedule and cancel timers. It asserts lower bounds on time only, never how late a callback
 * runs, so it is safe for real clocks on a loaded machine.
 *
 * What a delay of `Infinity` means is left to the adapter (the port does not say).
 */
export function describeTimerPortConformance(
  name: string,
  setup: TimerPortSetup,
  options: TimerPortConformanceOptions = {},
): void {
  const patienceMs = options.patienceMs ?? 10_000;

  describe(`TimerPort conformance: ${name}`, () => {
    let harness: TimerPortHarness;
    let timers: TimerPort;

    beforeEach(async () => {
      harness = await setup();
      timers = harness.timers;
    });

    afterEach(async () => {
      await harness.teardown?.();
    });

    /** Lets time pass in small steps until `done()` holds; fails after `patienceMs`. */
    async function waitUntil(done: () => boolean, what: string): Promise<void> {
      const start = timers.monotonic();
      while (!done()) {
        if (timers.monotonic() - start > patienceMs) {
          throw new Error(`${name}: ${what} did not happen within ${patienceMs} ms of monotonic time`);
        }
        await harness.elapse(5);
      }
    }

    it('keeps monotonic() from going back, between calls, across waits and inside callbacks', async () => {
      const samples: number[] = [];
      for (let i = 0; i < 1_000; i++) samples.push(timers.monotonic());
      let ran = false;
      timers.setTimeout(() => {
        samples.push(timers.monotonic());
        ran = true;
      }, 3);
      await waitUntil(() => ran, 'the callback');
      samples.push(timers.monotonic());
      await harness.elapse(2);
      samples.push(timers.monotonic());
      for (let i = 1; i < samples.length; i++) {
        expect(samples[i] as number).toBeGreaterThanOrEqual(samples[i - 1] as number);
      }
      expect(samples.at(-1) as number).toBeGreaterThan(samples[0] as number);
      expect(Number.isFinite(timers.now())).toBe(true);
    });

    it('runs a callback exactly once, and not before its delay has passed', async () => {
      for (const delay of [1, 7, 25]) {
        const scheduled = timers.monotonic();
        const firedAt: number[] = [];
        timers.setTimeout(() => firedAt.push(timers.monotonic()), delay);
        await waitUntil(() => firedAt.length > 0, `the ${delay} ms callback`);
        await harness.elapse(delay + 10);
        expect(firedAt).toHaveLength(1);
        expect((firedAt[0] as number) - scheduled).toBeGreaterThanOrEqual(delay);
      }
    });

    it('runs many timers with different delays each once, none early', async () => {
      const delays = Array.from({ length: 24 }, (_, i) => (i * 7) % 31);
      const scheduled = timers.monotonic();
      const firedAt = delays.map(() => [] as number[]);
      delays.forEach((delay, i) => {
        timers.setTimeout(() => firedAt[i]?.push(timers.monotonic()), delay);
      });
      await waitUntil(() => firedAt.every((times) => times.length > 0), 'every callback');
      await harness.elapse(40);
      delays.forEach((delay, i) => {
        expect(firedAt[i]).toHaveLength(1);
        expect((firedAt[i]?.[0] as number) - scheduled).toBeGreaterThanOrEqual(delay);
      });
    });

    it('never runs a callback inside setTimeout itself, even with delay 0', async () => {
      let insideSetTimeout = false;
      const ranInside: boolean[] = [];
      insideSetTimeout = true;
      timers.setTimeout(() => ranInside.push(insideSetTimeout), 0);
      insideSetTimeout = false;
      expect(ranInside).toEqual([]);
      await waitUntil(() => ranInside.length > 0, 'the 0 ms callback');
      expect(ranInside).toEqual([false]);
    });

    it('treats 0, a negative delay and NaN as "as soon as possible", each run once', async () => {
      const ran: string[] = [];
      timers.setTimeout(() => ran.push('zero'), 0);
      timers.setTimeout(() => ran.push('negative'), -50);
      timers.setTimeout(() => ran.push('nan'), Number.NaN);
      expect(ran).toEqual([]);
      await waitUntil(() => ran.length === 3, 'all three callbacks');
      await harness.elapse(20);
      expect([...ran].sort()).toEqual(['nan', 'negative', 'zero']);
    });

    it('cancels a pending callback; cancelling twice is harmless', async () => {
      const ran: string[] = [];
      const cancel = timers.setTimeout(() => ran.push('cancelled'), 5);
      timers.setTimeout(() => ran.push('kept'), 5);
      cancel();
      cancel();
      await waitUntil(() => ran.includes('kept'), 'the kept callback');
      await harness.elapse(20);
      expect(ran).toEqual(['kept']);
    });

    it('ignores a cancel after its callback ran: it cancels nothing else', async () => {
      const ran: string[] = [];
      const cancelFirst = timers.setTimeout(() => ran.push('first'), 0);
      await waitUntil(() => ran.length === 1, 'the first callback');
      timers.setTimeout(() => ran.push('second'), 0);
      cancelFirst();
      cancelFirst();
      await waitUntil(() => ran.length === 2, 'the second callback');
      expect(ran).toEqual(['first', 'second']);
    });

    it('lets a callback schedule a new timer and cancel a pending one', async () => {
      const ran: string[] = [];
      const cancelLate = timers.setTimeout(() => ran.push('late'), 30);
      timers.setTimeout(() => {
        ran.push('outer');
        cancelLate();
        timers.setTimeout(() => ran.push('inner'), 0);
      }, 1);
      await waitUntil(() => ran.includes('inner'), 'the nested callback');
      await harness.elapse(45);
      expect(ran).toEqual(['outer', 'inner']);
    });
  });
}
