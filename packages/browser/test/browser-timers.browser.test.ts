import { expect, it } from 'vitest';
import { browserTimers } from '../src/index.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('never runs a callback before its delay of monotonic time, and never inside the call', async () => {
  const fired: { delay: number; late: number }[] = [];
  const start = browserTimers.monotonic();
  let synchronous = true;
  for (const delay of [0, 1, 3, 7, 15, -5, Number.NaN]) {
    browserTimers.setTimeout(() => {
      expect(synchronous).toBe(false);
      fired.push({ delay, late: browserTimers.monotonic() - start - Math.max(delay || 0, 0) });
    }, delay);
  }
  synchronous = false;
  // Waits for all seven however slow the machine: the bound is on hangs, not on speed.
  for (let waited = 0; fired.length < 7 && waited < 10_000; waited += 10) await wait(10);
  expect(fired).toHaveLength(7);
  for (const { late } of fired) expect(late).toBeGreaterThanOrEqual(0);
});

it('cancels: a cancelled callback never runs, and cancelling twice or after it ran is harmless', async () => {
  let ran = 0;
  const cancel = browserTimers.setTimeout(() => ran++, 5);
  cancel();
  cancel();
  const after = browserTimers.setTimeout(() => ran++, 0);
  await wait(30);
  after();
  expect(ran).toBe(1);
});

it('reads the wall clock and a monotonic clock', async () => {
  expect(Math.abs(browserTimers.now() - Date.now())).toBeLessThan(1000);
  const before = browserTimers.monotonic();
  await wait(2);
  expect(browserTimers.monotonic()).toBeGreaterThanOrEqual(before);
});
