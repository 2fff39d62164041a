import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allSee, allSeeEachOther, converged } from './fleet-checks.js';
import type { NodeStatus } from './node-status.js';
import { type Crash, type ManagedNode, NodeSupervisor } from './node-supervisor.js';
import { testNetwork } from './test-network.js';
import { waitFor } from './wait-for.js';

let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('node processes over UDP with LMDB', () => {
  it('converge; a SIGKILLed one is seen as gone and, restarted on its data, catches up', async () => {
    const { invite, multicastPort, runId } = testNetwork();
    const dataRoot = mkdtempSync(join(tmpdir(), 'shoal-demo-test-'));
    const crashes: Crash[] = [];
    const supervisor = new NodeSupervisor((crash) => crashes.push(crash));
    cleanup = async () => {
      await supervisor.stopAll();
      rmSync(dataRoot, { recursive: true, force: true });
    };
    const nodes = ['A', 'B', 'C'].map((name) =>
      supervisor.start({
        name,
        id: `${name.toLowerCase()}-${runId}`,
        secret: invite,
        multicastPort,
        dataDir: join(dataRoot, name),
        writeMs: 200,
      }),
    );
    const ids = nodes.map((managed) => managed.spec.id);
    const statuses = (except?: ManagedNode): NodeStatus[] =>
      nodes.flatMap((managed) =>
        managed !== except && managed.phase === 'running' && managed.status ? [managed.status] : [],
      );
    const noCrash = (check: () => boolean) => () => {
      if (crashes.length > 0) throw new Error(`a node crashed: ${JSON.stringify(crashes)}`);
      return check();
    };

    await waitFor(
      noCrash(() => statuses().length === 3 && allSeeEachOther(statuses(), ids)),
      { timeoutMs: 20_000, what: 'three processes to discover each other' },
    );
    await waitFor(
      noCrash(() => statuses().every((status) => status.keys >= 6)),
      {
        timeoutMs: 10_000,
        what: 'writes from every node',
      },
    );
    supervisor.setWrites(false);
    await waitFor(
      noCrash(() => converged(statuses(), 3)),
      { timeoutMs: 10_000, what: 'convergence' },
    );

    const victim = nodes[2] as ManagedNode;
    const keysBefore = victim.status?.keys ?? 0;
    supervisor.kill(victim);
    supervisor.setWrites(true);
    await waitFor(
      noCrash(() => allSee(statuses(victim), victim.spec.id, ['suspect', 'dead'])),
      {
        timeoutMs: 15_000,
        what: 'the survivors to see the killed node gone',
      },
    );
    const streamWhileDown = Math.max(...statuses(victim).map((status) => status.streamLength));

    supervisor.restart(victim);
    await waitFor(
      noCrash(() => victim.phase === 'running'),
      { timeoutMs: 20_000, what: 'the restart' },
    );
    // Its first report comes from the same identity and at least the state it had on disk.
    expect(victim.status?.id).toBe(victim.spec.id);
    expect(victim.status?.keys).toBeGreaterThanOrEqual(keysBefore);
    supervisor.setWrites(false);
    await waitFor(
      noCrash(() => allSeeEachOther(statuses(), ids) && converged(statuses(), 3)),
      // Generous: the whole suite shares two cores, and SWIM needs a few probe periods.
      { timeoutMs: 40_000, what: 'the restarted node to rejoin and catch up' },
    );
    // It caught up on what was written while it was down.
    expect(victim.status?.streamLength).toBeGreaterThanOrEqual(streamWhileDown);
    expect(crashes).toEqual([]);
  }, 90_000);
});
