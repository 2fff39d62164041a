import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { DEFAULT_LIMITS, type Limits, resolveConfig } from './config.js';
import { type BudgetLimit, PeerBudgets } from './peer-budget.js';

const limits: Limits = {
  ...DEFAULT_LIMITS,
  maxPeers: 2,
  peerMessagesPerSecond: 10,
  peerMessageBurst: 5,
  peerBytesPerSecond: 1000,
  peerByteBurst: 2000,
  peerCpuMsPerSecond: 100,
  peerCpuBurstMs: 50,
};
const a = 'a' as NodeId;

function budgets(): { budgets: PeerBudgets; episodes: Array<[NodeId, BudgetLimit]> } {
  const episodes: Array<[NodeId, BudgetLimit]> = [];
  return { budgets: new PeerBudgets(limits, (peer, limit) => episodes.push([peer, limit])), episodes };
}

describe('PeerBudgets', () => {
  it('refuses beyond the message burst, reports the episode once, and admits again after refill', () => {
    const { budgets: b, episodes } = budgets();
    const admitted = Array.from({ length: 20 }, () => b.admit(a, 10, 0)).filter(Boolean).length;
    expect(admitted).toBe(5);
    expect(b.refused).toBe(15);
    expect(episodes).toEqual([[a, 'peerMessagesPerSecond']]);
    // 100 ms refills one message: admitted, which ends the episode; the next refusal is a new one.
    expect(b.admit(a, 10, 100)).toBe(true);
    expect(b.admit(a, 10, 100)).toBe(false);
    expect(episodes).toHaveLength(2);
  });

  it('names the bytes budget and the handler-time budget when those run out', () => {
    const { budgets: b, episodes } = budgets();
    expect(b.admit(a, 2000, 0)).toBe(true);
    expect(b.admit(a, 1, 0)).toBe(false);
    const c = 'c' as NodeId;
    expect(b.admit(c, 1, 0)).toBe(true);
    b.chargeCpu(c, 80, 0);
    expect(b.admit(c, 1, 0)).toBe(false);
    // The 30 ms debt is repaid 300 ms later.
    expect(b.admit(c, 1, 300)).toBe(true);
    expect(episodes).toEqual([
      [a, 'peerBytesPerSecond'],
      [c, 'peerCpuMsPerSecond'],
    ]);
  });

  it('tracks at most maxPeers senders, forgetting the least recently heard', () => {
    const { budgets: b } = budgets();
    for (let i = 0; i < 5; i++) b.admit(a, 1, 0);
    expect(b.admit(a, 1, 0)).toBe(false);
    b.admit('b' as NodeId, 1, 0);
    b.admit(a, 1, 0);
    b.admit('c' as NodeId, 1, 0);
    // `a` was heard after `b`, so `b` went; `a` is still out of budget.
    expect(b.admit(a, 1, 0)).toBe(false);
    b.admit('d' as NodeId, 1, 0);
    b.admit('e' as NodeId, 1, 0);
    // Forgotten now: `a` starts afresh.
    expect(b.admit(a, 1, 0)).toBe(true);
  });
});

describe('budget limits in the config', () => {
  it('are settable and validated like the other limits', () => {
    expect(resolveConfig({ limits: { peerCpuMsPerSecond: 50 } }).limits.peerCpuMsPerSecond).toBe(50);
    expect(() => resolveConfig({ limits: { peerMessageBurst: 0 } })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
  });
});
