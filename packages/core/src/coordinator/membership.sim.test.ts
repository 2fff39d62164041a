import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import type { MemberInfo } from '../membership/member-state.js';
import { Coordinator } from './coordinator.js';
import type { NodeEvent } from './node-types.js';

const IDS = ['a', 'b', 'c', 'd'];

async function boot(net: SimulatedNetwork, id: string): Promise<Coordinator> {
  const node = await Coordinator.create({
    id,
    ...net.nodePorts(id),
  });
  await node.start();
  return node;
}

async function cluster(seed: number) {
  const net = new SimulatedNetwork({ seed, latency: { min: 1, max: 20 }, loss: 0.05 });
  const nodes = new Map<string, Coordinator>();
  for (const id of IDS) nodes.set(id, await boot(net, id));
  const stateOf = (viewer: string, peer: string): MemberInfo['state'] | undefined =>
    nodes
      .get(viewer)
      ?.members()
      .find((member) => member.id === peer)?.state;
  const allSee = (peer: string, state: MemberInfo['state'], viewers = IDS.filter((id) => id !== peer)) =>
    viewers.every((viewer) => stateOf(viewer, peer) === state);
  expect(await net.runUntil(() => IDS.every((id) => allSee(id, 'alive')), { timeout: 30_000 })).toBe(true);
  return { net, nodes, stateOf, allSee };
}

describe('membership through the Coordinator (SWIM + Lifeguard on the simulated network)', () => {
  it('declares a crashed node dead everywhere, and a restarted one rejoins with a higher incarnation', async () => {
    const { net, nodes, allSee } = await cluster(11);
    const before =
      nodes
        .get('a')
        ?.members()
        .find((member) => member.id === 'd')?.incarnation ?? 0;
    net.crash('d');
    expect(await net.runUntil(() => allSee('d', 'dead', ['a', 'b', 'c']), { timeout: 60_000 })).toBe(true);
    net.restart('d');
    nodes.set('d', await boot(net, 'd'));
    expect(await net.runUntil(() => allSee('d', 'alive', ['a', 'b', 'c']), { timeout: 60_000 })).toBe(true);
    const after =
      nodes
        .get('a')
        ?.members()
        .find((member) => member.id === 'd')?.incarnation ?? 0;
    expect(after).toBeGreaterThan(before);
  });

  it('keeps a briefly paused node alive: it refutes suspicion and is never declared dead', async () => {
    const { net, nodes, stateOf } = await cluster(12);
    const verdicts: NodeEvent[] = [];
    for (const id of ['a', 'b', 'c']) {
      nodes.get(id)?.events.subscribe((event) => {
        if (event.type === 'dead' && event.peer === 'd') verdicts.push(event);
      });
    }
    net.pause('d');
    await net.runFor(1_000);
    net.resume('d');
    await net.runFor(20_000);
    expect(verdicts).toEqual([]);
    expect(['a', 'b', 'c'].map((id) => stateOf(id, 'd'))).toEqual(['alive', 'alive', 'alive']);
  });

  it('sees a graceful leave as left, not dead', async () => {
    const { net, nodes, allSee } = await cluster(13);
    const leaving = nodes.get('d')?.stop();
    await net.runFor(5_000);
    await leaving;
    expect(await net.runUntil(() => allSee('d', 'left', ['a', 'b', 'c']), { timeout: 30_000 })).toBe(true);
  });

  it('splits into two views under a partition and merges membership and data after heal', async () => {
    const { net, nodes, allSee } = await cluster(14);
    net.partition(['a', 'b'], ['c', 'd']);
    expect(
      await net.runUntil(() => allSee('c', 'dead', ['a', 'b']) && allSee('a', 'dead', ['c', 'd']), {
        timeout: 60_000,
      }),
    ).toBe(true);
    const mapOf = async (id: string) => (await nodes.get(id)!.channel('p')).map('m');
    await (await mapOf('a')).set('left-side', 1);
    await (await mapOf('d')).set('right-side', 2);
    net.heal();
    expect(await net.runUntil(() => IDS.every((id) => allSee(id, 'alive')), { timeout: 90_000 })).toBe(true);
    const maps = await Promise.all(IDS.map(mapOf));
    expect(await net.runUntil(() => maps.every((map) => map.size === 2), { timeout: 30_000 })).toBe(true);
  });

  it('agrees on one leader and reports a new one when it dies', async () => {
    const { net, nodes } = await cluster(15);
    expect(new Set(IDS.map((id) => nodes.get(id)?.leader()))).toEqual(new Set(['d']));
    const changes: NodeEvent[] = [];
    nodes.get('a')?.events.subscribe((event) => {
      if (event.type === 'leader-changed') changes.push(event);
    });
    net.crash('d');
    expect(
      await net.runUntil(() => ['a', 'b', 'c'].every((id) => nodes.get(id)?.leader() === 'c'), {
        timeout: 60_000,
      }),
    ).toBe(true);
    expect(changes.map((event) => 'peer' in event && event.peer)).toContain('c');
  });
});
