import { afterEach, describe, expect, it } from 'vitest';
import { testNetwork } from './test-network.js';
import { startUdpNode, type UdpNode } from './udp-node.js';
import { waitFor } from './wait-for.js';

const encoder = new TextEncoder();
let nodes: UdpNode[] = [];

afterEach(async () => {
  await Promise.all(nodes.map(({ node }) => node.dispose()));
  nodes = [];
});

describe('Coordinators over real UDP on loopback', () => {
  it('discover each other by multicast with no configuration and converge on a map and a stream', async () => {
    const { invite, multicastPort, runId } = testNetwork();
    nodes = await Promise.all(
      ['a', 'b', 'c'].map((name) => startUdpNode({ id: `${name}-${runId}`, secret: invite, multicastPort })),
    );
    const ids = nodes.map(({ node }) => node.id);
    await waitFor(
      () =>
        nodes.every(({ node }) =>
          ids.every((id) => id === node.id || node.members().some((m) => m.id === id && m.state === 'alive')),
        ),
      { timeoutMs: 15_000, what: 'every node to see every other alive' },
    );

    const replicas = await Promise.all(
      nodes.map(async ({ node }) => {
        const channel = await node.channel('home');
        return { map: channel.map('settings'), stream: channel.stream('chat') };
      }),
    );
    await Promise.all(
      replicas.flatMap(({ map, stream }, i) => [
        map.set(`key-${i}`, { from: i }),
        map.set('shared', i),
        stream.append(encoder.encode(`hello from ${i}`)),
      ]),
    );

    const snapshot = (i: number) => {
      const replica = replicas[i];
      if (replica === undefined) throw new Error(`no replica ${i}`);
      return {
        // Sorted: replicas may have received the keys in different orders.
        map: [...replica.map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
        stream: replica.stream.getAll().map((entry) => `${entry.author}#${entry.seq}`),
      };
    };
    await waitFor(
      () =>
        replicas.every(({ map, stream }) => map.size === 4 && stream.size === 3) &&
        JSON.stringify(snapshot(1)) === JSON.stringify(snapshot(0)) &&
        JSON.stringify(snapshot(2)) === JSON.stringify(snapshot(0)),
      { timeoutMs: 15_000, what: 'the three replicas to converge' },
    );
    expect(Object.fromEntries(snapshot(0).map)).toMatchObject({
      'key-0': { from: 0 },
      'key-1': { from: 1 },
      'key-2': { from: 2 },
    });
    for (const { node } of nodes) expect(node.health()).toMatchObject({ mode: 'sealed', healthy: true });
  }, 30_000);
});
