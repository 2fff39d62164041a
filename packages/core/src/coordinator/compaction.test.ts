import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { Coordinator } from './coordinator.js';

const config = { tombstoneHorizon: 10_000, compactionInterval: 1_000 };

async function boot(net: SimulatedNetwork, id: string, mapEntries: 'memory' | 'store'): Promise<Coordinator> {
  const node = await Coordinator.create({
    id,
    ...net.nodePorts(id),
    config: { ...config, mapEntries },
  });
  await node.start();
  return node;
}

describe.each(['memory', 'store'] as const)('tombstone horizon, maps in %s', (mapEntries) => {
  it('purges tombstones older than the horizon from memory and disk', async () => {
    const net = new SimulatedNetwork({ seed: 3 });
    const node = await boot(net, 'solo', mapEntries);
    const map = (await node.channel('c')).map('m');
    await map.set('k', 1);
    await map.delete('k');
    expect(node.resourceUsage().tombstones).toBe(1);
    await net.runFor(5_000);
    expect(node.resourceUsage().tombstones).toBe(1);
    await net.runFor(7_000);
    expect(node.resourceUsage().tombstones).toBe(0);
    net.crash('solo');
    net.restart('solo');
    const again = await boot(net, 'solo', mapEntries);
    expect(again.resourceUsage().tombstones).toBe(0);
    expect((await again.channel('c')).map('m').has('k')).toBe(false);
  });

  it('never resurrects a key whose delete was purged while a replica was away', async () => {
    const net = new SimulatedNetwork({ seed: 4, latency: 5 });
    const a = await boot(net, 'a', mapEntries);
    let b = await boot(net, 'b', mapEntries);
    const c = await boot(net, 'c', mapEntries); // keeps a fresh: a and c go on syncing while b is away
    await c.channel('c');
    const onA = (await a.channel('c')).map('m');
    await onA.set('gone', 'old value');
    await onA.set('kept', 'still here');
    const onB = (await b.channel('c')).map('m');
    expect(
      await net.runUntil(() => onB.get('gone') === 'old value' && onB.has('kept'), { timeout: 5_000 }),
    ).toBe(true);
    await net.runFor(2_000);

    net.crash('b'); // b is away longer than the horizon
    await onA.delete('gone');
    await net.runFor(15_000);
    expect(a.resourceUsage().tombstones).toBe(0); // the delete is forgotten on a

    net.restart('b');
    b = await boot(net, 'b', mapEntries);
    const back = (await b.channel('c')).map('m');
    expect(back.get('gone')).toBe('old value'); // b still serves what it had while offline
    await net.runFor(5_000);
    expect(onA.has('gone')).toBe(false);
    expect(back.has('gone')).toBe(false);
    expect(back.get('kept')).toBe('still here'); // refetched from a
  });
});
