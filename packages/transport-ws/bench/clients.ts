/**
 * The client side of hub.bench.ts, in its own process so the hub's memory is measured alone.
 * Driven over IPC: `open` connects N clients (raw WsClients, or leaf Coordinators with a channel
 * open), `relay` has client 0 send to every other through the hub, `traffic` reports bytes.
 */
import { Coordinator, cryptoRandom, type NodeId, randomNodeId } from '@shoal/core';
import { NodeWebSocket, systemTimers, WsClient } from '../src/index.js';

type Command =
  | { cmd: 'open'; url: string; count: number; secret?: number[]; spare?: string }
  | { cmd: 'moved'; to: string; since: number; timeoutMs: number }
  | { cmd: 'relay'; rounds: number }
  | { cmd: 'write'; rounds: number }
  | { cmd: 'burst'; count: number }
  | { cmd: 'traffic' }
  | { cmd: 'close' };

const clients: WsClient[] = [];
const nodes: Coordinator[] = [];
/** Receive times (epoch ms, sub-ms) of fan-out messages, by round. */
const received: number[][] = [];

const now = () => performance.timeOrigin + performance.now();
const reply = (message: unknown) => process.send?.(message);

function listen(client: WsClient): void {
  client.onMessage((_from, bytes) => {
    if (bytes.length < 9 || bytes[0] !== 0xfa) return;
    const round = bytes[1] as number;
    const sentAt = new DataView(bytes.buffer, bytes.byteOffset + 2, 8).getFloat64(0);
    const latencies = received[round] ?? [];
    received[round] = latencies;
    latencies.push(now() - sentAt);
  });
}

async function open(url: string, count: number, secret: number[] | undefined, spare?: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const nodeId = randomNodeId(cryptoRandom);
    // With a spare hub that is not listening yet, every client ends on `url` first.
    const hubs = spare === undefined ? [url] : [url, spare];
    const client = new WsClient({ nodeId, hubs, WebSocket: NodeWebSocket, wake: false });
    clients.push(client);
    if (secret === undefined) {
      listen(client);
      client.setAnnouncement(Uint8Array.of(0));
    } else {
      const node = await Coordinator.create({
        id: nodeId,
        port: client,
        timers: systemTimers,
        secret: Uint8Array.from(secret),
        membership: { leaf: true },
      });
      await node.start();
      // Latency of a leaf's write to every other leaf: the value is its send time.
      (await node.channel('home')).map('m').on('change', (change) => {
        if (!change.local && typeof change.value === 'number') {
          const latencies = received[0] ?? [];
          received[0] = latencies;
          latencies.push(now() - change.value);
        }
      });
      nodes.push(node);
    }
    // Do not open a thousand sockets in one burst: the accept queue is finite.
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  while (clients.some((client) => client.hub === undefined)) await new Promise((r) => setTimeout(r, 50));
}

/** Polls until every client is on hub `to`; each client's delay after `since` (epoch ms). */
async function moved(to: string, since: number, timeoutMs: number): Promise<number[]> {
  const arrived = new Map<WsClient, number>();
  const deadline = now() + timeoutMs;
  while (arrived.size < clients.length && now() < deadline) {
    for (const client of clients)
      if (!arrived.has(client) && client.hub === to) arrived.set(client, now() - since);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return [...arrived.values()];
}

function relay(rounds: number): void {
  const [sender, ...others] = clients as [WsClient, ...WsClient[]];
  for (let round = 0; round < rounds; round++) {
    const payload = new Uint8Array(100);
    payload[0] = 0xfa;
    payload[1] = 100 + round;
    new DataView(payload.buffer, 2, 8).setFloat64(0, now());
    for (const other of others) sender.send(other.nodeId as NodeId, payload);
  }
}

process.on('message', async (message: Command) => {
  switch (message.cmd) {
    case 'open':
      await open(message.url, message.count, message.secret, message.spare);
      reply({ ready: clients.length, ids: clients.map((client) => client.nodeId) });
      return;
    case 'moved':
      reply({ delays: await moved(message.to, message.since, message.timeoutMs) });
      return;
    case 'write': {
      received.length = 0;
      const map = (await (nodes[0] as Coordinator).channel('home')).map('m');
      for (let round = 0; round < message.rounds; round++) {
        await map.set(`k${round}`, now());
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      reply({ ok: true });
      return;
    }
    case 'burst': {
      // As fast as the API takes them: the writes are queued at once and batched by core.
      const map = (await (nodes[0] as Coordinator).channel('home')).map('burst');
      const startedAt = now();
      await Promise.all(Array.from({ length: message.count }, (_, i) => map.set(`b${i}`, i)));
      reply({ startedAt, durableAt: now() });
      return;
    }
    case 'relay':
      received.length = 0;
      relay(message.rounds);
      reply({ ok: true });
      return;
    case 'traffic': {
      let bytes = 0;
      for (const client of clients) bytes += client.stats().bytesSent + client.stats().bytesReceived;
      reply({ bytes, latencies: received.flatMap((round) => round ?? []), clients: clients.length });
      return;
    }
    case 'close':
      await Promise.all(nodes.map((node) => node.dispose()));
      await Promise.all(clients.map((client) => client.close()));
      reply({ closed: true });
      process.exit(0);
  }
});
reply({ started: true });
