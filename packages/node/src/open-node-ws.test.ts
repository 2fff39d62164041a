import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInvite, generateSecret } from '@shoal/core';
import { describe, expect, it } from 'vitest';
import { openNode } from './open-node.js';

async function waitFor(predicate: () => boolean, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return predicate();
}

/** A port free on 127.0.0.1 right now (the README's 8080 may be taken on a test machine). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('openNode over WebSockets (the README examples)', () => {
  it('runs a hub and a Node client with no UDP, and they converge, sealed', async () => {
    const invite = createInvite({ networkId: 'home', secret: generateSecret() });
    const port = await freePort();
    // README: await using hub = await openNode({ secret: invite, udp: false, ws: { listen: 8080 } });
    await using hub = await openNode({ secret: invite, udp: false, ws: { listen: port, host: '127.0.0.1' } });
    // README: await using client = await openNode({ secret: invite, udp: false, hubs: ['ws://hub.example:8080'] });
    await using client = await openNode({ secret: invite, udp: false, hubs: [`ws://127.0.0.1:${port}`] });
    await (await client.channel('home')).map('settings').set('lights', 'on');
    // The hub opens 'home' for its client by itself (joinChannelsOnDemand).
    expect(await waitFor(() => hub.resourceUsage().keys === 1)).toBe(true);
    expect((await hub.channel('home')).map('settings').get('lights')).toBe('on');
    // The client is a membership leaf: the hub does not list it as a member.
    expect(hub.members().map((member) => member.id)).toEqual([hub.id]);
    expect(client.members().map((member) => member.id)).toContain(hub.id);
  });

  it('attaches a hub to an http server of yours', async () => {
    const invite = createInvite({ networkId: 'home', secret: generateSecret() });
    const server = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await using hub = await openNode({ secret: invite, udp: false, ws: { server, path: '/shoal' } });
      await using client = await openNode({
        secret: invite,
        udp: false,
        hubs: [`ws://127.0.0.1:${port}/shoal`],
      });
      await (await hub.channel('home')).map('settings').set('heating', 20);
      const onClient = (await client.channel('home')).map('settings');
      expect(await waitFor(() => onClient.get('heating') === 20)).toBe(true);
      // The server still serves its own requests.
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('meshes hubs given one shared list (naming themselves too), and clients of different hubs converge', async () => {
    const invite = createInvite({ networkId: 'home', secret: generateSecret() });
    const ports = [await freePort(), await freePort()];
    const urls = ports.map((port) => `ws://127.0.0.1:${port}`);
    const hub = (port: number) =>
      openNode({ secret: invite, udp: false, hubs: urls, ws: { listen: port, host: '127.0.0.1' } });
    await using a = await hub(ports[0] as number);
    await using b = await hub(ports[1] as number);
    // A hub replicates the channels it has opened (core has no "every channel" mode yet).
    await Promise.all([a.channel('home'), b.channel('home')]);
    await using onA = await openNode({ secret: invite, udp: false, hubs: [urls[0] as string] });
    await using onB = await openNode({ secret: invite, udp: false, hubs: [urls[1] as string] });
    await (await onA.channel('home')).map('settings').set('from-a', 1);
    const far = (await onB.channel('home')).map('settings');
    expect(await waitFor(() => far.get('from-a') === 1)).toBe(true);
    // The hubs are members of each other; the clients are members of nobody.
    expect(
      a
        .members()
        .map((member) => member.id)
        .sort(),
    ).toEqual([a.id, b.id].sort());
    expect(b.members().some((member) => member.id === onA.id || member.id === onB.id)).toBe(false);
  });
});
