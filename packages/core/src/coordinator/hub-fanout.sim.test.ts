import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { parseNodeId } from '../ids/node-id.js';
import { Coordinator } from './coordinator.js';

const SECRET = new Uint8Array(32).fill(7);
const LEAVES = Array.from({ length: 40 }, (_, i) => `leaf-${i}`);
const LATENCY = 5;

/** A hub (a full member) and 40 leaf clients (ADR 0022) on a simulated network, all in `chat`. */
async function hubWithLeaves(seed: number) {
  const net = new SimulatedNetwork({ seed, latency: { min: LATENCY, max: LATENCY } });
  const boot = async (id: string, leaf: boolean) => {
    const node = await Coordinator.create({
      id,
      ...net.nodePorts(id),
      secret: SECRET,
      ...(leaf ? { membership: { leaf: true } } : {}),
    });
    await node.start();
    await node.channel('chat');
    return node;
  };
  const hub = await boot('hub', false);
  const leaves = await Promise.all(LEAVES.map((id) => boot(id, true)));
  // Every leaf has found the hub, and the hub has had a digest of `chat` from every leaf.
  const settled = () =>
    leaves.every((leaf) => leaf.members().some((m) => m.id === 'hub' && m.state === 'alive')) &&
    (hub.resourceUsage().peers ?? 0) >= LEAVES.length;
  expect(await net.runUntil(settled, { timeout: 60_000 })).toBe(true);
  await net.runFor(5_000);
  return { net, hub, leaves };
}

describe('a hub and its leaf clients (simulated network, virtual time)', () => {
  it('a write by one leaf reaches every leaf in two network hops: the hub pushes to every follower', async () => {
    const { net, hub, leaves } = await hubWithLeaves(41);
    const [writer] = leaves;
    const stream = (node: Coordinator) => node.channel('chat').then((ch) => ch.stream('room'));
    await (await stream(writer as Coordinator)).append(new TextEncoder().encode('hello'));
    // Writer → hub → everyone: two latencies and some slack for the turn boundaries, far less
    // than a gossip round (200 ms), so rounds cannot be what delivered it.
    await net.runFor(2 * LATENCY + 3);
    const holders = await Promise.all([hub, ...leaves].map(async (node) => (await stream(node)).size));
    expect(holders.filter((size) => size === 1).length).toBe(LEAVES.length + 1);
  });

  it('an idle leaf costs under 2 KB a minute, sent and received, once its channel is quiet', async () => {
    const { net } = await hubWithLeaves(42);
    // Backoff reaches its ceiling, and the leaves the hub asks to probe for it have met (a first
    // contact costs one hello each way, ADR 0045).
    await net.runFor(240_000);
    const before = net.stats().nodes;
    const minutes = 5;
    await net.runFor(minutes * 60_000);
    const after = net.stats().nodes;
    const perLeaf = LEAVES.map((id) => {
      const a = after.get(parseNodeId(id));
      const b = before.get(parseNodeId(id));
      return (
        ((a?.bytesSent ?? 0) - (b?.bytesSent ?? 0) + (a?.bytesDelivered ?? 0) - (b?.bytesDelivered ?? 0)) /
        minutes
      );
    });
    const worst = Math.max(...perLeaf);
    console.log(`idle traffic per leaf: worst ${Math.round(worst)} B/min, sent and received`);
    expect(worst).toBeGreaterThan(0); // it still probes and repairs
    expect(worst).toBeLessThan(2048);
  });
});
