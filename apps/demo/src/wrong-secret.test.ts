import { createInvite, generateSecret } from '@shoal/core';
import { afterEach, describe, expect, it } from 'vitest';
import { testNetwork } from './test-network.js';
import { startUdpNode, type UdpNode } from './udp-node.js';
import { waitFor } from './wait-for.js';

let nodes: UdpNode[] = [];

afterEach(async () => {
  await Promise.all(nodes.map(({ node }) => node.dispose()));
  nodes = [];
});

const dropped = ({ node }: UdpNode) =>
  Object.values(node.health().sealing.dropped).reduce((sum, n) => sum + n, 0);

describe('a node with the wrong secret', () => {
  it('never joins and changes nothing, and its hellos show up as dropped messages', async () => {
    const { invite, multicastPort, runId } = testNetwork();
    // Same network name and group, different key: its announcements reach everyone and fail to open.
    const intruderInvite = createInvite({ networkId: 'shoal-test', secret: generateSecret() });
    const [a, b, intruder] = await Promise.all([
      startUdpNode({ id: `a-${runId}`, secret: invite, multicastPort }),
      startUdpNode({ id: `b-${runId}`, secret: invite, multicastPort }),
      startUdpNode({ id: `x-${runId}`, secret: intruderInvite, multicastPort }),
    ]);
    if (a === undefined || b === undefined || intruder === undefined) throw new Error('nodes did not start');
    nodes = [a, b, intruder];
    const [mapA, mapB, mapX] = await Promise.all(
      nodes.map(async ({ node }) => (await node.channel('home')).map('settings')),
    );
    await Promise.all([mapA?.set('from-a', 1), mapX?.set('from-x', 1), mapX?.set('shared', 'intruder')]);

    // The honest pair converges, and by then everyone has heard several announcements of the other side.
    await waitFor(() => mapB?.get('from-a') === 1, { timeoutMs: 15_000, what: 'b to receive a’s write' });
    await waitFor(() => nodes.every((node) => dropped(node) >= 2), {
      timeoutMs: 15_000,
      what: 'every node to drop the other side’s hellos',
    });
    await mapB?.set('from-b', 1);
    await waitFor(() => mapA?.get('from-b') === 1, { timeoutMs: 15_000, what: 'a to receive b’s write' });

    expect(mapA?.has('from-x')).toBe(false);
    expect(mapA?.has('shared')).toBe(false);
    expect(mapB?.has('from-x')).toBe(false);
    expect([...(mapX?.keys() ?? [])].sort()).toEqual(['from-x', 'shared']);
    expect(intruder.node.members().filter((m) => m.id !== intruder.node.id)).toEqual([]);
    for (const honest of [a, b]) {
      expect(honest.node.members().some((m) => m.id === intruder.node.id)).toBe(false);
      expect(honest.node.health().peers).toBe(1);
    }
    expect(intruder.node.health().peers).toBe(0);
  }, 30_000);
});
