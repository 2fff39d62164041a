import { describe, expect, it } from 'vitest';
import { canMakeNamespaces } from './soak-hosts.js';
import { runSoak } from './soak-run.js';

describe('chaos soak (the 1-minute CI version of `pnpm soak`)', () => {
  it('loses no acknowledged write across kill -9, SIGSTOP, partitions, loss, duplication, clock skew, replays, full disks and a hostile keyed peer; replicas end identical', async () => {
    // As root (CI), each node on a network-namespace host of its own; else on loopback.
    const namespaces = canMakeNamespaces();
    const summary = await runSoak({
      nodes: 5,
      // A minute, a fault every 2 s on average besides its own 2-6 s: about 18 faults, every
      // kind dealt once or twice (the deck holds each kind once), inside the suite's budget.
      durationMs: 60_000,
      faultEveryMs: 2000,
      namespaces,
      log: (line) => console.log(`[soak] ${line}`),
    });
    console.log(`[soak] ${JSON.stringify(summary)}`);
    expect(summary.hosts).toBe(namespaces ? 'namespaces' : 'loopback');
    expect(summary.crashes).toEqual([]);
    expect(Object.values(summary.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
    // The deck deals every kind of fault within each round of kinds: the hostile peer attacks.
    expect(summary.faults.hostile).toBeGreaterThan(0);
    expect(summary.hostile.forgedEntries).toBeGreaterThan(0);
    expect(summary.traffic.dropped).toBeGreaterThan(0);
    expect(summary.acknowledged).toBeGreaterThan(1000);
    expect(summary.lost).toBe(0);
    // Forged stream entries are resolved the same way everywhere (ADR 0038): replicas end
    // identical, a forgery that sorts first included.
    expect(summary.divergence).toEqual({ keys: 0, slots: 0, conflicting: 0, forged: 0 });
    expect(summary.identical).toBe(true);
    // Bounded memory: a node process stays far below what a leak over a minute would reach,
    // fragment floods and oversized values included.
    expect(summary.maxRssMiB).toBeLessThan(400);
  }, 360_000);
});
