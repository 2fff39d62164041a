import { ManualTimers } from '@shoal/testkit';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../ports/seeded-random.js';
import { TaskTimers } from './task-timers.js';

describe('TaskTimers', () => {
  it('jitters periods within ± jitter/2', () => {
    const tasks = new TaskTimers(new ManualTimers(), new SeededRandom(1), 0.2);
    for (let i = 0; i < 100; i++) {
      const period = tasks.jittered(1000);
      expect(period).toBeGreaterThanOrEqual(900);
      expect(period).toBeLessThan(1100);
    }
  });

  it('repeats periodic work until cancelAll, which also cancels one-shot work', () => {
    const timers = new ManualTimers();
    const tasks = new TaskTimers(timers, new SeededRandom(2), 0.2);
    let ticks = 0;
    let once = 0;
    tasks.every(100, () => ticks++);
    tasks.after(5000, () => once++);
    timers.advance(1000);
    expect(ticks).toBeGreaterThanOrEqual(9);
    expect(ticks).toBeLessThanOrEqual(11);
    tasks.cancelAll();
    const before = ticks;
    timers.advance(10_000);
    expect(ticks).toBe(before);
    expect(once).toBe(0);
  });
});
