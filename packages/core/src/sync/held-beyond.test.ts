import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import type { MapClock } from '../protocol/sync-messages.js';
import { HeldBeyondSum, mayHoldUnseen } from './held-beyond.js';

const writer = 'w' as NodeId;
const entry = (key: string, wall: number) => ({ key, value: 1, wall, counter: 0, writer });

function clock(wall: number, ...beyond: ReturnType<typeof entry>[]): MapClock {
  const sum = new HeldBeyondSum();
  for (const e of beyond) sum.add(e);
  const summary = sum.summary();
  return summary === undefined ? { wall, counter: 0 } : { wall, counter: 0, beyond: summary };
}

describe('mayHoldUnseen', () => {
  it('is false without entries beyond our clock', () => {
    expect(mayHoldUnseen(clock(10), { wall: 10, counter: 0 }, clock(10))).toBe(false);
    expect(mayHoldUnseen(clock(10, entry('a', 12)), { wall: 12, counter: 0 }, undefined)).toBe(false);
  });

  it('is true when the peer holds a pushed entry beyond a clock equal to ours that we lack', () => {
    // The case of issue 20: a write that reached the peer by push moved no clock.
    expect(mayHoldUnseen(clock(10, entry('a', 12)), { wall: 10, counter: 0 }, clock(10))).toBe(true);
    expect(
      mayHoldUnseen(
        clock(10, entry('a', 12), entry('b', 13)),
        { wall: 10, counter: 0 },
        clock(10, entry('a', 12)),
      ),
    ).toBe(true);
  });

  it('is false when both sides hold the same entries beyond the same clock', () => {
    const same = clock(10, entry('a', 12), entry('b', 13));
    expect(mayHoldUnseen(same, { wall: 10, counter: 0 }, clock(10, entry('b', 13), entry('a', 12)))).toBe(
      false,
    );
  });

  it('assumes it may when the clocks differ (the exchange settles it)', () => {
    expect(mayHoldUnseen(clock(10, entry('a', 14)), { wall: 12, counter: 0 }, clock(12))).toBe(true);
  });
});
