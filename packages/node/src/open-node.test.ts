import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInvite, generateSecret } from '@shoal/core';
import { describe, expect, it } from 'vitest';
import { openNode } from './open-node.js';

const loopback = (multicastPort: number) => ({
  host: '127.0.0.1',
  interface: '127.0.0.1',
  multicast: { port: multicastPort, interface: '127.0.0.1' },
  announceIntervalMs: 200,
});

async function waitFor(predicate: () => boolean, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return predicate();
}

describe('openNode', () => {
  it('finds a peer on the LAN with no configuration and converges, sealed', async () => {
    const multicastPort = 40_000 + Math.floor(Math.random() * 20_000);
    const secret = createInvite({ networkId: 'test-lan', secret: generateSecret() });
    await using a = await openNode({ secret, udp: loopback(multicastPort) });
    await using b = await openNode({ secret, udp: loopback(multicastPort) });
    const onA = (await a.channel('home')).map('settings');
    const onB = (await b.channel('home')).map('settings');
    await onA.set('lights', 'on');
    expect(await waitFor(() => onB.get('lights') === 'on')).toBe(true);
    expect(a.health().mode).toBe('sealed');
  });

  it('keeps its id and data in dataDir across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shoal-node-'));
    try {
      const udp = loopback(40_000 + Math.floor(Math.random() * 20_000));
      const first = await openNode({ dataDir, udp });
      const id = first.id;
      await (await first.channel('c')).map('m').set('kept', 42);
      // The store reports what it holds (LmdbStore.stats, through KeyValueStore.stats).
      expect(first.resourceUsage().storage?.entries).toBeGreaterThan(0);
      expect(first.resourceUsage().storage?.bytes).toBeGreaterThan(0);
      await first.dispose();
      await using again = await openNode({ dataDir, udp });
      expect(again.id).toBe(id);
      expect((await again.channel('c')).map('m').get('kept')).toBe(42);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a dataDir whose data vanished, unless told to start fresh', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shoal-node-'));
    try {
      const udp = loopback(40_000 + Math.floor(Math.random() * 20_000));
      const first = await openNode({ dataDir, udp });
      await (await first.channel('c')).map('m').set('k', 1);
      await first.dispose();
      await rm(join(dataDir, 'data.mdb'));
      await expect(openNode({ dataDir, udp })).rejects.toMatchObject({ code: 'DATA_MISSING' });
      await using fresh = await openNode({ dataDir, udp, storage: { ifDataMissing: 'start-fresh' } });
      expect((await fresh.channel('c')).map('m').has('k')).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("openNode with maps kept in the store (the README's large-channel example)", () => {
  it('reads and writes through LMDB, and reopens without loading entries', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shoal-node-store-'));
    try {
      const udp = loopback(40_000 + Math.floor(Math.random() * 20_000));
      const invite = createInvite({ networkId: 'plant', secret: generateSecret() });
      const config = { mapEntries: 'store' as const, limits: { maxKeysPerChannel: 50_000_000 } };
      {
        await using node = await openNode({ dataDir, secret: invite, udp, config });
        const readings = (await node.channel('plant')).map('readings');
        await readings.set('line-4/2026-12-05T10:00', { celsius: 71.5 });
        expect(readings.get('line-4/2026-12-05T10:00')).toEqual({ celsius: 71.5 });
        expect(readings.size).toBe(1);
      }
      await using again = await openNode({ dataDir, secret: invite, udp, config });
      const readings = (await again.channel('plant')).map('readings');
      expect(readings.size).toBe(1);
      expect(readings.get('line-4/2026-12-05T10:00')).toEqual({ celsius: 71.5 });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('openNode({ http })', () => {
  it('serves the dashboard, metrics and probes with the node, and stops with it', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const node = await openNode({
      udp: loopback(40_000 + Math.floor(Math.random() * 20_000)),
      http: { port },
    });
    const url = `http://127.0.0.1:${port}/`;
    expect((await fetch(`${url}healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}metrics`)).text()).toContain(
      `shoal_info{id="${node.id}",mode="open"} 1`,
    );
    expect(await (await fetch(url)).text()).toContain('<title>Shoal');
    await node.dispose();
    await expect(fetch(`${url}healthz`)).rejects.toThrow();
  });

  it('refuses to serve beyond loopback without a token, and leaves nothing open', async () => {
    await expect(
      openNode({
        udp: loopback(40_000 + Math.floor(Math.random() * 20_000)),
        http: { host: '0.0.0.0', port: 0 },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
