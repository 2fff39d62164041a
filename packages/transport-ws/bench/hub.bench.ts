/**
 * Many clients on one hub over 127.0.0.1: hub memory per client, fan-out latency (hub → every
 * client, and client → every other client through the relay), idle traffic per client, for raw
 * transport clients and for leaf Coordinators. Clients run in a child process so the hub
 * process's memory is the hub's alone. Not a test: numbers vary with the machine.
 *
 *   pnpm --filter @shoal/transport-ws bench            # 1000 clients
 *   CLIENTS=200 NODES=100 IDLE_S=20 pnpm --filter @shoal/transport-ws bench
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Coordinator, cryptoRandom, generateSecret, type NodeId, randomNodeId } from '@shoal/core';
import { systemTimers, WsHub } from '../src/index.js';

const CLIENTS = Number(process.env.CLIENTS ?? 1000);
const NODES = Number(process.env.NODES ?? 200);
const IDLE_S = Number(process.env.IDLE_S ?? 30);
const ROUNDS = 20;

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function spawnClients(): Promise<{ child: ChildProcess; ask: <T>(message: object) => Promise<T> }> {
  const child = fork(fileURLToPath(new URL('./clients.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--conditions=@shoal/source'],
  });
  process.on('exit', () => child.kill());
  const waiting: ((value: unknown) => void)[] = [];
  const started = new Promise((resolve) => waiting.push(resolve));
  child.on('message', (message) => waiting.shift()?.(message));
  await started;
  const ask = <T>(message: object) =>
    new Promise<T>((resolve) => {
      waiting.push(resolve as (value: unknown) => void);
      child.send(message);
    });
  return { child, ask };
}

async function heap(): Promise<{ heap: number; rss: number; external: number }> {
  gc();
  await sleep(100);
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss, external: usage.external + usage.arrayBuffers };
}

async function transport(): Promise<void> {
  const hub = await WsHub.open({
    nodeId: randomNodeId(cryptoRandom),
    port: 0,
    host: '127.0.0.1',
    maxConnectionsPerAddress: CLIENTS + 10,
  });
  hub.onMessage((from, _bytes, source) => hub.addPeerAddress(from, source));
  const { ask } = await spawnClients();
  const before = await heap();
  const { ids } = await ask<{ ids: NodeId[] }>({
    cmd: 'open',
    url: `ws://127.0.0.1:${hub.port}`,
    count: CLIENTS,
  });
  while (hub.stats().bound < CLIENTS) await sleep(50);
  const after = await heap();
  const perClient = (key: keyof typeof after) => ((after[key] - before[key]) / CLIENTS / 1024).toFixed(1);

  // Hub → every client, ROUNDS times, 100-byte payloads stamped with the send time.
  for (let round = 0; round < ROUNDS; round++) {
    const payload = new Uint8Array(100);
    payload[0] = 0xfa;
    payload[1] = round;
    new DataView(payload.buffer, 2, 8).setFloat64(0, now());
    for (const id of ids) hub.send(id, payload);
    await sleep(100);
  }
  await sleep(500);
  const fanOut = (await ask<{ latencies: number[] }>({ cmd: 'traffic' })).latencies;
  await ask({ cmd: 'relay', rounds: 5 });
  await sleep(1500);
  const relayed = (await ask<{ latencies: number[] }>({ cmd: 'traffic' })).latencies;
  const start = await ask<{ bytes: number }>({ cmd: 'traffic' });
  await sleep(IDLE_S * 1000);
  const end = await ask<{ bytes: number }>({ cmd: 'traffic' });
  const idle = ((end.bytes - start.bytes) / CLIENTS / (IDLE_S / 60)).toFixed(0);
  console.log(`## Transport only: ${CLIENTS} WsClients on one WsHub (127.0.0.1)`);
  console.log(
    `hub memory per client: heap ${perClient('heap')} KiB, external ${perClient('external')} KiB, rss ${perClient('rss')} KiB`,
  );
  console.log(
    `hub → all ${CLIENTS} clients, 100 B, ${ROUNDS} rounds (${fanOut.length} deliveries): p50 ${percentile(fanOut, 50).toFixed(1)} ms, p99 ${percentile(fanOut, 99).toFixed(1)} ms`,
  );
  console.log(
    `client → ${CLIENTS - 1} others via relay, 100 B, 5 rounds (${relayed.length} deliveries): p50 ${percentile(relayed, 50).toFixed(1)} ms, p99 ${percentile(relayed, 99).toFixed(1)} ms`,
  );
  console.log(`idle traffic per client (frames, both ways, ${IDLE_S} s): ${idle} B/min`);
  console.log(`hub stats: ${JSON.stringify(hub.stats())}`);
  await ask({ cmd: 'close' });
  await hub.close();
}

async function nodes(): Promise<void> {
  const secret = generateSecret();
  let port: WsHub | undefined;
  const hub = await Coordinator.create({
    port: async (nodeId) => {
      port = await WsHub.open({ nodeId, port: 0, host: '127.0.0.1', maxConnectionsPerAddress: NODES + 10 });
      return port;
    },
    timers: systemTimers,
    secret,
  });
  await hub.start();
  await hub.channel('home');
  const { ask } = await spawnClients();
  await ask({ cmd: 'open', url: `ws://127.0.0.1:${port?.port}`, count: NODES, secret: [...secret] });
  await sleep(5000); // let the joins settle
  const start = await ask<{ bytes: number }>({ cmd: 'traffic' });
  await sleep(IDLE_S * 1000);
  const end = await ask<{ bytes: number }>({ cmd: 'traffic' });
  const idle = ((end.bytes - start.bytes) / NODES / (IDLE_S / 60)).toFixed(0);
  console.log(`\n## Nodes: ${NODES} leaf Coordinators (one channel open) on one hub Coordinator`);
  console.log(`idle traffic per client (sealed frames, both ways, ${IDLE_S} s): ${idle} B/min`);
  console.log(`hub members: ${hub.members().length} (clients are leaves); hub peers: ${hub.health().peers}`);
  await ask({ cmd: 'close' });
  await hub.dispose();
}

await transport();
await nodes();
process.exit(0);
