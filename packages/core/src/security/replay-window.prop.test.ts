import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { ReplayWindow } from './replay-window.js';

const SIZE = 64;

/** The specification, written as plainly as possible: every accepted (epoch, counter) kept. */
class ReferenceWindow {
  readonly #state = new Map<string, { epoch: number; top: number; seen: Set<number> }>();

  check(sender: string, epoch: number, counter: number): boolean {
    const state = this.#state.get(sender);
    if (state === undefined || epoch > state.epoch) return true;
    if (epoch < state.epoch) return false;
    return counter > state.top - SIZE && !state.seen.has(counter);
  }

  accept(sender: string, epoch: number, counter: number): void {
    const state = this.#state.get(sender);
    if (state === undefined || epoch > state.epoch) {
      this.#state.set(sender, { epoch, top: counter, seen: new Set([counter]) });
      return;
    }
    state.top = Math.max(state.top, counter);
    state.seen.add(counter);
  }
}

// A walk per sender: counters move around a rising position, mostly by small steps (windows
// fill densely) and sometimes by up to two windows either way, so slides of every length, in-window reordering, repeats and stale counters all occur, and
// epochs change rarely enough for windows to fill.
const events = fc.array(
  fc.record({
    sender: fc.constantFrom('a', 'b', 'c'),
    // Rarely a restart (next epoch), rarely a late message from the previous epoch.
    epochStep: fc.integer({ min: 0, max: 40 }).map((n) => (n === 0 ? 1 : n === 1 ? -1 : 0)),
    delta: fc.oneof(
      { arbitrary: fc.integer({ min: -8, max: 8 }), weight: 6 },
      { arbitrary: fc.integer({ min: -2 * SIZE, max: 2 * SIZE }), weight: 1 },
    ),
  }),
  { maxLength: 400, size: 'max' },
);

describe('ReplayWindow', () => {
  it('accepts exactly what the reference model accepts', () => {
    fc.assert(
      fc.property(events, (list) => {
        const window = new ReplayWindow({ size: SIZE });
        const model = new ReferenceWindow();
        const position = new Map<string, { epoch: number; counter: number }>();
        for (const { sender, epochStep, delta } of list) {
          const last = position.get(sender) ?? { epoch: 0, counter: 0 };
          const epoch = Math.max(0, last.epoch + epochStep);
          const counter = Math.max(0, last.counter + delta);
          if (epochStep === 0) position.set(sender, { epoch, counter: Math.max(last.counter, counter) });
          if (epochStep === 1) position.set(sender, { epoch, counter });
          const fresh = model.check(sender, epoch, counter);
          expect(window.check(sender as NodeId, epoch, counter)).toBe(fresh);
          if (fresh) {
            window.accept(sender as NodeId, epoch, counter);
            model.accept(sender, epoch, counter);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('accepts any permutation of an in-window run exactly once each', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([...Array(SIZE).keys()], { minLength: SIZE }), (order) => {
        const window = new ReplayWindow({ size: SIZE });
        const sender = 'a' as NodeId;
        for (const counter of [...order, ...order]) {
          const fresh = window.check(sender, 0, counter);
          if (fresh) window.accept(sender, 0, counter);
        }
        for (const counter of order) expect(window.check(sender, 0, counter)).toBe(false);
        expect(window.check(sender, 0, SIZE)).toBe(true);
      }),
    );
  });

  it('check alone never moves the window', () => {
    const window = new ReplayWindow({ size: SIZE });
    const sender = 'a' as NodeId;
    expect(window.check(sender, 5, 1000)).toBe(true);
    expect(window.check(sender, 0, 0)).toBe(true);
    expect(window.trackedSenders).toBe(0);
  });

  it('forgets the least recently accepted sender beyond its cap', () => {
    const window = new ReplayWindow({ size: SIZE, maxSenders: 2 });
    const [a, b, c] = ['a', 'b', 'c'] as NodeId[] as [NodeId, NodeId, NodeId];
    window.accept(a, 0, 1);
    window.accept(b, 0, 1);
    window.accept(a, 0, 2);
    window.accept(c, 0, 1);
    expect(window.trackedSenders).toBe(2);
    expect(window.check(a, 0, 1)).toBe(false);
    expect(window.check(c, 0, 1)).toBe(false);
    // b was least recent: forgotten, so its old message reads as fresh (documented consequence).
    expect(window.check(b, 0, 1)).toBe(true);
  });
});
