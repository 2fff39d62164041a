/**
 * `pnpm --filter @shoal/chat bench` (issue 17): 3 hubs (processes), CLIENTS chat clients (this
 * process, each a full node with its own hub connection, spread over the hubs by their shuffled
 * hub lists), RATE messages/s from random clients for DURATION_S seconds. Measures the delivery latency
 * from send to each other client's replica (p50, p99, max) and counts messages some client
 * never got (must be 0); then the same with one hub killed (`kill -9`) halfway, its clients
 * failing over. Env: CLIENTS (300), RATE (10), DURATION_S (60), SETTLE_S (30), HEARTBEAT_S (60), ONLY (up|kill).
 *
 * All clients share this one process (and the machine's cores with the hubs), so each one's
 * presence heartbeat is relaxed from 10 s to HEARTBEAT_S: at 10 s, 300 clients write 30
 * presence records a second, each merged by all 300 replicas here, which is load a real
 * deployment spreads over 300 devices and would drown the messages being measured.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInvite } from '@shoal/core';
import { decodeMessage } from '../src/chat-message.js';
import { ChatService } from '../src/chat-service.js';
import { openChatNode } from '../src/open-chat-node.js';

const CLIENTS = Number(process.env.CLIENTS ?? 300);
const RATE = Number(process.env.RATE ?? 10);
const SECONDS = Number(process.env.DURATION_S ?? 60);
const HEARTBEAT_MS = Number(process.env.HEARTBEAT_S ?? 60) * 1000;
const SETTLE_S = Number(process.env.SETTLE_S ?? 30);
const secret = createInvite({ networkId: 'chat-bench', secret: new Uint8Array(32).fill(9) });

interface Result {
  readonly sent: number;
  readonly deliveries: number;
  readonly lost: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly settledAfterMs: number;
}

async function startHub(port: number, others: readonly number[]): Promise<ChildProcess> {
  const child = fork(
    fileURLToPath(new URL('./hub-process.ts', import.meta.url)),
    [String(port), secret, ...others.map((other) => `ws://127.0.0.1:${other}`)],
    {
      execArgv: ['--conditions=@shoal/source', '--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { type: string }) => message.type === 'ready' && resolve());
    child.on('exit', (code) => reject(new Error(`hub on ${port} exited with ${code}`)));
  });
  return child;
}

async function scenario(basePort: number, killHalfway: boolean): Promise<Result> {
  const ports = [basePort, basePort + 1, basePort + 2];
  const hubs = await Promise.all(
    ports.map((port) =>
      startHub(
        port,
        ports.filter((p) => p !== port),
      ),
    ),
  );
  const urls = ports.map((port) => `ws://127.0.0.1:${port}`);
  const clients: { chat: ChatService; dispose(): Promise<void> }[] = [];
  const latencies: number[] = [];
  /** Per message text, the clients (by index) that hold it. */
  const received = new Map<string, Set<number>>();
  for (let i = 0; i < CLIENTS; i++) {
    const { node } = await openChatNode({ hubs: urls, secret });
    const chat = await ChatService.open(node, { nick: `c${i}`, heartbeatMs: HEARTBEAT_MS });
    const stream = await node.channel('chat').then((channel) => channel.stream('room:general'));
    stream.on('entry', (event) => {
      const message = decodeMessage(event.entry.payload);
      if (message === undefined) return;
      if (!event.local) latencies.push(Date.now() - message.at);
      let holders = received.get(message.text);
      if (holders === undefined) {
        holders = new Set();
        received.set(message.text, holders);
      }
      holders.add(i);
    });
    clients.push({ chat, dispose: () => node.dispose({ leave: false }) });
  }
  // Let every client reach a hub and catch up with the others' presence before measuring.
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  latencies.length = 0;
  const acked: string[] = [];
  const start = Date.now();
  let killed = false;
  let n = 0;
  while (Date.now() - start < SECONDS * 1000) {
    if (killHalfway && !killed && Date.now() - start > (SECONDS * 1000) / 2) {
      hubs[0]?.kill('SIGKILL');
      killed = true;
    }
    // On schedule even when this busy process wakes late: as many sends as are due by now.
    const due = Math.floor(((Date.now() - start) / 1000) * RATE);
    while (n < due) {
      const client = clients[Math.floor(Math.random() * clients.length)] as (typeof clients)[number];
      const text = `m${n++}`;
      client.chat.send(text).then(
        () => acked.push(text),
        () => {},
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const quiet = Date.now();
  const complete = () => acked.every((text) => (received.get(text)?.size ?? 0) === CLIENTS);
  while (!complete() && Date.now() - quiet < SETTLE_S * 1000)
    await new Promise((resolve) => setTimeout(resolve, 200));
  const settledAfterMs = Date.now() - quiet;
  const lost = acked.filter((text) => (received.get(text)?.size ?? 0) < CLIENTS).length;
  const sorted = latencies.sort((a, b) => a - b);
  const pick = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  await Promise.all(clients.map((client) => client.dispose()));
  for (const hub of hubs) hub.kill('SIGKILL');
  return {
    sent: acked.length,
    deliveries: sorted.length,
    lost,
    p50: pick(0.5),
    p99: pick(0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    settledAfterMs,
  };
}

const line = (name: string, r: Result) =>
  `| ${name} | ${r.sent} | ${r.deliveries} | ${r.p50} | ${r.p99} | ${r.max} | ${r.lost} | ${r.settledAfterMs} |`;
console.log(
  `chat bench: 3 hubs, ${CLIENTS} clients, ${RATE} messages/s for ${SECONDS} s (latency in ms, send → each other client)`,
);
console.log('| scenario | messages | deliveries | p50 | p99 | max | lost | all delivered after (ms) |');
console.log('|---|---|---|---|---|---|---|---|');
// ONLY=up or ONLY=kill runs one of the two scenarios.
const only = process.env.ONLY;
if (only !== 'kill') console.log(line('all hubs up', await scenario(18_801, false)));
if (only !== 'up') console.log(line('one hub killed halfway', await scenario(18_811, true)));
process.exit(0);
