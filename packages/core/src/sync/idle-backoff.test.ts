import { describe, expect, it } from 'vitest';
import { IdleBackoff } from './idle-backoff.js';

/** The times at which `channel` gets a round, polling every `step` ms up to `until`. */
function rounds(backoff: IdleBackoff, until: number, step = 100, onTick?: (now: number) => void): number[] {
  const times: number[] = [];
  for (let now = 0; now <= until; now += step) {
    onTick?.(now);
    if (backoff.due('c', now)) times.push(now);
  }
  return times;
}

describe('IdleBackoff', () => {
  it('keeps the full rate for a few quiet rounds, then doubles the wait up to the maximum', () => {
    const times = rounds(new IdleBackoff(100, 800), 6000);
    const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
    expect(gaps.slice(0, 9)).toEqual([100, 100, 100, 100, 200, 400, 800, 800, 800]);
  });

  it('returns to the full rate as soon as something moves', () => {
    const backoff = new IdleBackoff(100, 800);
    const times = rounds(backoff, 3000, 100, (now) => {
      if (now === 2000) backoff.active('c');
    });
    expect(times).toContain(2000);
    expect(times.filter((time) => time > 2000).slice(0, 5)).toEqual([2100, 2200, 2300, 2400, 2600]);
  });
});
