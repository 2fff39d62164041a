import { describe, expect, it } from 'vitest';
import { DEFAULT_EPOCH, ManualTimers } from './manual-timers.js';

describe('ManualTimers', () => {
  it('runs due callbacks in (time, insertion) order, including ones scheduled by callbacks', () => {
    const timers = new ManualTimers();
    const log: string[] = [];
    timers.setTimeout(() => log.push(`b@${timers.monotonic()}`), 20);
    timers.setTimeout(() => {
      log.push(`a@${timers.monotonic()}`);
      timers.setTimeout(() => log.push(`a2@${timers.monotonic()}`), 0);
      timers.setTimeout(() => log.push(`late@${timers.monotonic()}`), 100);
    }, 10);
    timers.setTimeout(() => log.push(`c@${timers.monotonic()}`), 20);
    expect(timers.advance(30)).toBe(4);
    expect(log).toEqual(['a@10', 'a2@10', 'b@20', 'c@20']);
    expect(timers.monotonic()).toBe(30);
    expect(timers.pending).toBe(1);
  });

  // The TimerPort contract (once, never early, cancel, 0/negative/NaN delays) is checked by
  // manual-timers.conformance.test.ts; these tests cover what ManualTimers adds to it.
  it('runs a callback exactly at its due time, and never an infinite one', () => {
    const timers = new ManualTimers();
    let ran = 0;
    timers.setTimeout(() => ran++, 10);
    timers.setTimeout(() => ran++, Number.POSITIVE_INFINITY);
    timers.advance(9);
    expect(ran).toBe(0);
    timers.advance(1);
    expect(ran).toBe(1);
    expect(timers.pending).toBe(0);
  });

  it('moves the wall clock independently of monotonic time', () => {
    const timers = new ManualTimers({ epoch: 1_000 });
    expect(timers.now()).toBe(1_000);
    timers.advance(10);
    expect(timers.now()).toBe(1_010);
    timers.skew(-500);
    expect(timers.now()).toBe(510);
    expect(timers.monotonic()).toBe(10);
    timers.setNow(5_000);
    expect(timers.now()).toBe(5_000);
    timers.advance(5);
    expect(timers.now()).toBe(5_005);
    expect(timers.monotonic()).toBe(15);
    expect(new ManualTimers().now()).toBe(DEFAULT_EPOCH);
  });

  it('propagates a callback exception out of advance, with the failing timer removed', () => {
    const timers = new ManualTimers();
    let after = 0;
    timers.setTimeout(() => {
      throw new Error('boom');
    }, 1);
    timers.setTimeout(() => after++, 2);
    expect(() => timers.advance(5)).toThrow('boom');
    expect(timers.monotonic()).toBe(1);
    timers.advance(5);
    expect(after).toBe(1);
  });

  it('advanceAsync lets promise chains settle between callbacks', async () => {
    const timers = new ManualTimers();
    let done = false;
    const seen: boolean[] = [];
    timers.setTimeout(() => {
      void (async () => {
        for (let i = 0; i < 100; i++) await Promise.resolve();
        done = true;
      })();
    }, 1);
    timers.setTimeout(() => seen.push(done), 1);
    expect(await timers.advanceAsync(1)).toBe(2);
    expect(seen).toEqual([true]);
  });

  it('rejects a negative or non-finite advance', () => {
    const timers = new ManualTimers();
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => timers.advance(ms)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
