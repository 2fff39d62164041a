/**
 * The client side of hub.bench.ts, in its own process so the hub's memory is measured alone.
 * Driven over IPC: `open` connects N clients (raw WsClients, or leaf Coordinators with a channel
 * open), `relay` has client 0 send to every other through the hub, `traffic` reports bytes.
 */
import { Coordinator, cryptoRandom, type NodeId, randomNodeId } from '@shoal/core';
import { NodeWebSocket, systemTimers, WsClient } from '../src/index.js';

type Command =
  | { cmd: 'open'; url: string; count: number; secret?: number[] }
  | { cmd: 'relay'; rounds: number }
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

async function open(url: string, count: number, secret: number[] | undefined): Promise<void> {
  for (let i = 0; i < count; i++) {
    const nodeId = randomNodeId(cryptoRandom);
    const client = new WsClient({ nodeId, hubs: [url], WebSocket: NodeWebSocket, wake: false });
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
      await node.channel('home');
      nodes.push(node);
    }
    // Do not open a thousand sockets in one burst: the accept queue is finite.
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  while (clients.some((client) => client.hub === undefined)) await new Promise((r) => setTimeout(r, 50));
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
      await open(message.url, message.count, message.secret);
      reply({ ready: clients.length, ids: clients.map((client) => client.nodeId) });
      return;
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
