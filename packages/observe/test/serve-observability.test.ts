import { type Coordinator, createNode } from '@shoal/core';
import { SimulatedNetwork } from '@shoal/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { type ObservabilityServer, serveObservability } from '../src/index.js';

/** Prometheus text exposition, parsed: each sample by its name and labels, and each metric's TYPE. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Map<string, number> } {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) types.set(type[1] as string, type[2] as string);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (sample === null) throw new Error(`not Prometheus text: ${line}`);
    samples.set(sample[1] as string, Number(sample[2]));
  }
  return { types, samples };
}

const SECRET = new Uint8Array(32).fill(5);
let servers: ObservabilityServer[] = [];
let nodes: Coordinator[] = [];

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await Promise.all(nodes.map((node) => node.dispose({ leave: false })));
  servers = [];
  nodes = [];
});

async function cluster() {
  const net = new SimulatedNetwork({ seed: 8, latency: 2 });
  nodes = await Promise.all(
    ['a', 'b', 'c'].map((id) => createNode({ id, ...net.nodePorts(id), secret: SECRET })),
  );
  const [a] = nodes as [Coordinator];
  await net.runUntil(() => a.members().filter((m) => m.state === 'alive').length === 3, { timeout: 30_000 });
  return { net, a };
}

describe('serveObservability', () => {
  it('serves /metrics as Prometheus text whose counters move with the traffic', async () => {
    const { net, a } = await cluster();
    const server = await serveObservability(a, { port: 0 });
    servers.push(server);
    const scrape = async () => {
      const response = await fetch(new URL('metrics', server.url));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      return parsePrometheus(await response.text());
    };
    const first = await scrape();
    expect(first.types.get('shoal_messages_total')).toBe('counter');
    expect(first.types.get('shoal_bytes_total')).toBe('counter');
    expect(first.types.get('shoal_drops_total')).toBe('counter');
    expect(first.types.get('shoal_members')).toBe('gauge');
    expect(first.types.get('shoal_sync_lag_entries')).toBe('gauge');
    expect(first.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(first.samples.get('shoal_members{state="alive"}')).toBe(3);
    const deltas = 'shoal_messages_total{direction="sent",type="delta"}';
    const before = first.samples.get(deltas) ?? 0;

    const map = (await a.channel('home')).map('m');
    for (const other of nodes.slice(1)) await other.channel('home');
    for (let i = 0; i < 20; i++) await map.set(`k${i}`, i);
    await net.runFor(2_000);
    const second = await scrape();
    expect(second.samples.get(deltas)).toBeGreaterThan(before);
    expect(second.samples.get('shoal_channel_entries{channel="home"}')).toBe(20);
    expect(second.samples.get('shoal_bytes_total{direction="received",type="digest"}')).toBeGreaterThan(0);
    expect(second.samples.get('shoal_sync_peer_lacks_entries{channel="home",peer="b"}')).toBe(0);

    // Cut b off, write on a: b's last digest now shows it behind, in entries and bytes.
    net.partition(['a', 'c'], ['b']);
    for (let i = 0; i < 10; i++) await map.set(`late${i}`, 'x'.repeat(50));
    const third = await scrape();
    expect(third.samples.get('shoal_sync_peer_lacks_entries{channel="home",peer="b"}')).toBe(10);
    expect(third.samples.get('shoal_sync_peer_lacks_bytes{channel="home",peer="b"}')).toBeGreaterThan(500);
  });

  it('answers /healthz, /readyz and /state; readiness follows the node', async () => {
    const { a } = await cluster();
    const server = await serveObservability(a, { port: 0 });
    servers.push(server);
    expect((await fetch(new URL('healthz', server.url))).status).toBe(200);
    expect((await fetch(new URL('readyz', server.url))).status).toBe(200);
    const state = (await (await fetch(new URL('state', server.url))).json()) as {
      members: unknown[];
      leader: string;
    };
    expect(state.members).toHaveLength(3);
    expect(state.leader).toBe(a.leader());
    await a.stop({ leave: false });
    expect((await fetch(new URL('readyz', server.url))).status).toBe(503);
    expect((await fetch(new URL('healthz', server.url))).status).toBe(200);
  });

  it('needs a token beyond loopback, and checks it: none, wrong, right', async () => {
    const { a } = await cluster();
    await expect(serveObservability(a, { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const token = 'a-long-enough-token-1234';
    const server = await serveObservability(a, { port: 0, token });
    servers.push(server);
    const metrics = (authorization?: string) =>
      fetch(
        new URL('metrics', server.url),
        authorization === undefined ? {} : { headers: { authorization } },
      );
    expect((await metrics()).status).toBe(401);
    expect((await metrics('Bearer wrong-token-of-some-length')).status).toBe(401);
    expect((await metrics(`Bearer ${token}`)).status).toBe(200);
    // The page itself and the probes reveal nothing and stay open.
    expect((await fetch(server.url)).status).toBe(200);
    expect((await fetch(new URL('healthz', server.url))).status).toBe(200);
    expect((await fetch(new URL('state', server.url))).status).toBe(401);
  });
});
