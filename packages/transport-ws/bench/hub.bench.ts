/**
 * Many clients on one hub over 127.0.0.1: hub memory per client, fan-out latency (hub → every
 * client, and client → every other client through the relay), idle traffic per client, for raw
 * transport clients and for leaf Coordinators; every client moving to a second hub when the
 * first crashes; and, in the same run on the same load, a y-websocket server as the reference.
 * Clients run in a child process so the server process's memory is the server's alone. Not a
 * test: numbers vary with the machine.
 *
 *   pnpm --filter @shoal/transport-ws bench            # 1000 clients
 *   CLIENTS=200 NODES=100 IDLE_S=20 SETTLE_S=30 BURST=20000 pnpm --filter @shoal/transport-ws bench
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Coordinator, cryptoRandom, generateSecret, type NodeId, randomNodeId } from '@shoal/core';
import { WebSocketServer } from 'ws';
import { systemTimers, WsHub } from '../src/index.js';

// y-websocket's own server code (CommonJS), the reference the issue asks for.
const { setupWSConnection } = createRequire(import.meta.url)('y-websocket/bin/utils') as {
  setupWSConnection: (socket: unknown, request: unknown, options: { docName: string }) => void;
};

const CLIENTS = Number(process.env.CLIENTS ?? 1000);
const NODES = Number(process.env.NODES ?? 200);
const IDLE_S = Number(process.env.IDLE_S ?? 60);
const SETTLE_S = Number(process.env.SETTLE_S ?? 150);
const ROUNDS = 20;
const BURST = Number(process.env.BURST ?? 20_000);

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function spawnClients(
  script = './clients.ts',
): Promise<{ child: ChildProcess; ask: <T>(message: object) => Promise<T> }> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
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

/**
 * Every client on hub A, hub B listening, A crashes (`abort`: sockets dropped without a close
 * frame): how long until each client is on B. Clients move at once on the close, then back off
 * with full jitter only if B refuses them, so the herd is spread by B's accept loop.
 */
async function reconnectAll(): Promise<void> {
  const open = (port: number) =>
    WsHub.open({
      nodeId: randomNodeId(cryptoRandom),
      port,
      host: '127.0.0.1',
      maxConnectionsPerAddress: CLIENTS + 10,
    });
  const a = await open(0);
  const spare = await open(0);
  const bPort = spare.port as number;
  await spare.close(); // B's port, not listening yet: every client settles on A
  const { ask } = await spawnClients();
  const bUrl = `ws://127.0.0.1:${bPort}`;
  await ask({ cmd: 'open', url: `ws://127.0.0.1:${a.port}`, count: CLIENTS, spare: bUrl });
  const b = await open(bPort);
  const since = now();
  await a.abort();
  const { delays } = await ask<{ delays: number[] }>({ cmd: 'moved', to: bUrl, since, timeoutMs: 60_000 });
  const buckets = new Map<number, number>();
  for (const delay of delays)
    buckets.set(Math.floor(delay / 100), (buckets.get(Math.floor(delay / 100)) ?? 0) + 1);
  console.log(`\n## Reconnect: ${CLIENTS} clients on hub A, A crashes, B listening`);
  console.log(
    `on B: ${delays.length}/${CLIENTS}; after the crash p50 ${percentile(delays, 50).toFixed(0)} ms, p99 ${percentile(delays, 99).toFixed(0)} ms, last ${Math.max(...delays).toFixed(0)} ms`,
  );
  console.log(
    `arrivals per 100 ms: ${[...buckets]
      .sort(([x], [y]) => x - y)
      .map(([bucket, n]) => `${bucket * 100}-${bucket * 100 + 100} ms: ${n}`)
      .join(', ')}`,
  );
  await ask({ cmd: 'close' });
  await b.close();
}

/**
 * The reference: a y-websocket server (its own `setupWSConnection`, no persistence) with the
 * same number of WebsocketProvider clients on one document, in the same run: server memory per
 * client, one client's write seen by all others, idle traffic per client, and the time until
 * every client is connected again after the server crashes and a new one starts on its port
 * (y-websocket has no second server to fail over to).
 */
async function yWebsocket(): Promise<void> {
  const count = Number(process.env.YJS_CLIENTS ?? CLIENTS);
  const listen = async (port: number) => {
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket, request) => setupWSConnection(socket, request, { docName: 'home' }));
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
    return {
      port: (http.address() as { port: number }).port,
      crash: async () => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        await new Promise((resolve) => http.close(resolve));
      },
    };
  };
  const server = await listen(0);
  const { ask } = await spawnClients('./yjs-clients.ts');
  const before = await heap();
  await ask({ cmd: 'open', url: `ws://127.0.0.1:${server.port}`, count });
  const after = await heap();
  await ask({ cmd: 'write', rounds: ROUNDS });
  await sleep(1000);
  const writes = (await ask<{ latencies: number[] }>({ cmd: 'traffic' })).latencies;
  await sleep(5000);
  const start = await ask<{ bytes: number }>({ cmd: 'traffic' });
  await sleep(IDLE_S * 1000);
  const end = await ask<{ bytes: number }>({ cmd: 'traffic' });
  await server.crash();
  const since = now();
  await listen(server.port);
  const { delays } = await ask<{ delays: number[] }>({ cmd: 'reconnected', since, timeoutMs: 60_000 });
  console.log(
    `\n## Reference: y-websocket ${count} WebsocketProviders on one y-websocket server (127.0.0.1)`,
  );
  console.log(
    `server memory per client: heap ${((after.heap - before.heap) / count / 1024).toFixed(1)} KiB, rss ${((after.rss - before.rss) / count / 1024).toFixed(1)} KiB`,
  );
  console.log(
    `one client's map write seen by the ${count - 1} others, ${ROUNDS} writes (${writes.length} deliveries): p50 ${percentile(writes, 50).toFixed(1)} ms, p99 ${percentile(writes, 99).toFixed(1)} ms`,
  );
  console.log(
    `idle traffic per client (frames, both ways, ${IDLE_S} s): ${((end.bytes - start.bytes) / count / (IDLE_S / 60)).toFixed(0)} B/min`,
  );
  console.log(
    `server crashed, a new one on its port at once: ${delays.length}/${count} connected again, p50 ${percentile(delays, 50).toFixed(0)} ms, p99 ${percentile(delays, 99).toFixed(0)} ms, last ${Math.max(...delays).toFixed(0)} ms`,
  );
  await ask({ cmd: 'close' });
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
  // Let the joins settle and every leaf's rounds back off to their idle ceiling (ADR 0013).
  await sleep(5000);
  await ask({ cmd: 'write', rounds: ROUNDS });
  await sleep(1000);
  const writes = (await ask<{ latencies: number[] }>({ cmd: 'traffic' })).latencies;
  // Writes/s through the hub: one leaf writes BURST keys at once; the time until the hub holds them all.
  const burst = (await hub.channel('home')).map('burst');
  const { startedAt } = await ask<{ startedAt: number }>({ cmd: 'burst', count: BURST });
  while (burst.size < BURST) await sleep(5);
  const throughput = BURST / ((now() - startedAt) / 1000);
  await sleep(SETTLE_S * 1000);
  const start = await ask<{ bytes: number }>({ cmd: 'traffic' });
  await sleep(IDLE_S * 1000);
  const end = await ask<{ bytes: number }>({ cmd: 'traffic' });
  const idle = ((end.bytes - start.bytes) / NODES / (IDLE_S / 60)).toFixed(0);
  console.log(`\n## Nodes: ${NODES} leaf Coordinators (one channel open) on one hub Coordinator`);
  console.log(
    `one leaf's map write seen by the ${NODES - 1} others, ${ROUNDS} writes (${writes.length} deliveries): p50 ${percentile(writes, 50).toFixed(1)} ms, p99 ${percentile(writes, 99).toFixed(1)} ms`,
  );
  console.log(
    `one leaf's burst of ${BURST} map writes reaching the hub: ${throughput.toFixed(0)} writes/s (sealed, pushed as written)`,
  );
  console.log(
    `idle traffic per client (sealed frames, both ways, ${IDLE_S} s after ${SETTLE_S} s): ${idle} B/min`,
  );
  console.log(`hub members: ${hub.members().length} (clients are leaves); hub peers: ${hub.health().peers}`);
  await ask({ cmd: 'close' });
  await hub.dispose();
}

await transport();
await reconnectAll();
await nodes();
await yWebsocket();
process.exit(0);
