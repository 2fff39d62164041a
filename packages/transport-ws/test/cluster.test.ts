import type { Coordinator } from '@shoal/core';
import { waitFor } from '@shoal/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { type ClientNode, crash, type HubNode, openClientNode, openHubs } from './support/cluster.js';
import { openHub, urlOf } from './support/loopback.js';

async function write(nodes: readonly Coordinator[], prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of nodes) {
    const key = `${prefix}-${node.id}`;
    await (await node.channel('home')).map('m').set(key, node.id);
    keys.push(key);
  }
  return keys;
}

async function holdsAll(node: Coordinator, keys: readonly string[]): Promise<boolean> {
  const map = (await node.channel('home')).map('m');
  return keys.every((key) => map.has(key));
}

async function converge(nodes: readonly Coordinator[], keys: readonly string[], what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const held = await Promise.all(nodes.map((node) => holdsAll(node, keys)));
    if (held.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${held.join(',')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('three hubs and their clients over loopback', () => {
  let hubs: HubNode[] = [];
  let clients: ClientNode[] = [];

  afterAll(async () => {
    await Promise.allSettled([...hubs, ...clients].map(({ node }) => node.dispose()));
  });

  it('replicate every write everywhere, and clients of a crashed hub fail over and keep syncing', async () => {
    hubs = await openHubs(3);
    const urls = hubs.map((hub) => hub.url);
    clients = await Promise.all(Array.from({ length: 6 }, () => openClientNode(urls)));
    await waitFor(() => clients.every((client) => client.port.hub !== undefined), 'every client on a hub');

    const everyone = [...hubs, ...clients].map(({ node }) => node);
    const before = await write(everyone, 'before');
    await converge(everyone, before, 'the first writes everywhere');

    // Crash the hub holding the most clients (at least one, since 6 clients share 3 hubs).
    const load = (hub: HubNode) => clients.filter((client) => client.port.hub === hub.url).length;
    const victim = hubs.reduce((most, hub) => (load(hub) > load(most) ? hub : most));
    const orphans = clients.filter((client) => client.port.hub === victim.url);
    expect(orphans.length).toBeGreaterThan(0);
    await crash(victim);

    await waitFor(
      () => orphans.every((client) => client.port.hub !== undefined && client.port.hub !== victim.url),
      'the orphaned clients to fail over to another hub',
    );
    for (const orphan of orphans) expect(orphan.port.stats().failovers).toBeGreaterThan(0);

    const survivors = [...hubs.filter((hub) => hub !== victim), ...clients].map(({ node }) => node);
    const after = await write(survivors, 'after');
    await converge(survivors, [...before, ...after], 'every write on every surviving replica');
  });

  it('clients of a blind relay sync with each other through it, and the relay reads nothing', async () => {
    const relay = await openHub({ blind: true });
    const peers = await Promise.all(Array.from({ length: 4 }, () => openClientNode([urlOf(relay)])));
    clients.push(...peers);
    try {
      const nodes = peers.map(({ node }) => node);
      const keys = await write(nodes, 'relayed');
      await converge(nodes, keys, 'every write on every client of the relay');
      expect(relay.stats().relayed).toBeGreaterThan(0);
      expect(relay.stats().messagesDelivered).toBe(0);
    } finally {
      await relay.close();
    }
  });
});
