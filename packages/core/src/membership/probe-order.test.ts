import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { SeededRandom } from '../ports/seeded-random.js';
import { ProbeOrder } from './probe-order.js';

const ids = ['a', 'b', 'c', 'd', 'e'] as NodeId[];

describe('ProbeOrder (SWIM §4.3 round-robin)', () => {
  it('probes every eligible member exactly once per pass, in a reshuffled order', () => {
    const order = new ProbeOrder(new SeededRandom(4));
    const passes = Array.from({ length: 4 }, () =>
      ids.map(() =>
        order.next(
          () => true,
          () => [...ids],
        ),
      ),
    );
    for (const pass of passes) expect([...pass].sort()).toEqual(ids);
    expect(new Set(passes.map((pass) => pass.join(''))).size).toBeGreaterThan(1);
  });

  it('skips members that stopped being eligible, and returns undefined when none is', () => {
    const order = new ProbeOrder(new SeededRandom(5));
    const seen = ids.map(() =>
      order.next(
        (id) => id !== 'c',
        () => [...ids],
      ),
    );
    expect(seen.filter((id) => id === 'c')).toEqual([]);
    expect(
      order.next(
        () => false,
        () => [...ids],
      ),
    ).toBeUndefined();
  });

  it('inserts a joining member into the rest of the current pass', () => {
    const order = new ProbeOrder(new SeededRandom(6));
    const members = [...ids];
    order.next(
      () => true,
      () => members,
    );
    members.push('f' as NodeId);
    order.add('f' as NodeId);
    const rest = Array.from({ length: 5 }, () =>
      order.next(
        () => true,
        () => members,
      ),
    );
    expect(rest).toContain('f');
  });

  it('hands out out-of-turn requests oldest first, once each, skipping those no longer eligible', () => {
    const order = new ProbeOrder(new SeededRandom(7));
    order.probeNext('c' as NodeId);
    order.probeNext('a' as NodeId);
    order.probeNext('c' as NodeId);
    order.probeNext('e' as NodeId);
    const eligible = (id: NodeId) => id !== 'a';
    expect([order.nextUrgent(eligible), order.nextUrgent(eligible), order.nextUrgent(eligible)]).toEqual([
      'c',
      'e',
      undefined,
    ]);
    // The pass itself is untouched: every member still comes in its turn.
    const pass = ids.map(() =>
      order.next(
        () => true,
        () => [...ids],
      ),
    );
    expect([...pass].sort()).toEqual(ids);
  });
});
