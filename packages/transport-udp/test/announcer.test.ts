import { afterEach, describe, expect, it, vi } from 'vitest';
import { Announcer } from '../src/discovery/announcer.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Announcer', () => {
  it('announces at once, then ever less often up to the maximum, and speeds up again on reset', () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const announcer = new Announcer({
      intervalMs: 1000,
      maxIntervalMs: 4000,
      targets: [{ host: '127.0.0.1', port: 1 }],
      random: () => 0.5, // no jitter
      send: () => sent.push(Date.now()),
    });
    const start = Date.now();
    announcer.set(new Uint8Array([1]));
    announcer.start();
    vi.advanceTimersByTime(20_000);
    const gaps = sent.slice(1).map((time, index) => time - (sent[index] as number));
    expect(sent[0]).toBe(start);
    expect(gaps.slice(0, 6)).toEqual([1000, 1500, 2250, 3375, 4000, 4000]);
    announcer.reset();
    const before = sent.length;
    vi.advanceTimersByTime(4000 + 1000 + 1500);
    expect(sent.length - before).toBeGreaterThanOrEqual(2);
    announcer.stop();
  });
});
