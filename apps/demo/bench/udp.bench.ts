/**
 * Loopback UDP benchmark, one OS process per node.
 *
 *   cd apps/demo && node --conditions=@shoal/source --import tsx bench/udp.bench.ts
 *
 * The same file is both the driver and (with `--child`) one node process. Every node binds
 * 127.0.0.1 on an ephemeral port and discovers the others by multicast on the loopback interface
 * (random private group port per cluster, so runs never hear each other), keeps its state in a
 * MemoryStore and, unless `--open`, seals every message with a fresh invite token.
 *
 * Measures (1) write-to-visible latency with 2 and 10 nodes, (2) idle bytes sent per node in a
 * converged 10-node cluster, (3) sealed/open write throughput with 2 nodes. Times are compared
 * across processes on the shared clock `performance.timeOrigin + performance.now()` (same
 * machine); the driver also estimates each child's clock offset by IPC ping as a sanity check.
 * Prints a markdown report and writes it to `apps/demo/BENCHMARKS.md`. Every child is killed
 * when the driver exits, however it exits; a child exits on its own when its IPC channel closes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  Coordinator,
  createInvite,
  generateSecret,
  MemoryStore,
  parseNodeId,
  type SyncStats,
} from '@shoal/core';
import { nodeTimers, nodeXChaCha20Poly1305 } from '@shoal/node';
import { UdpTransport, type UdpTransportStats } from '@shoal/transport-udp';

const SELF = fileURLToPath(import.meta.url);
const DEMO_DIR = dirname(dirname(SELF));
const REPORT = join(DEMO_DIR, 'BENCHMARKS.md');

/** Shared clock across processes on one machine (ms since the epoch, sub-ms resolution). */
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// IPC messages

type ToChild =
  | { type: 'ping'; seq: number }
  | { type: 'status'; seq: number }
  | { type: 'write'; key: string }
  | { type: 'burst'; seq: number; prefix: string; count: number }
  | { type: 'expect'; prefix: string; count: number }
  | { type: 'stop' };

interface ChildStatus {
  readonly peers: number;
  readonly keys: number;
  readonly mode: 'sealed' | 'open';
  readonly stats: UdpTransportStats;
  readonly badMessages: number;
  readonly errors: Record<string, number>;
  readonly sync: SyncStats;
}

type FromChild =
  | { type: 'ready'; id: string }
  | { type: 'pong'; seq: number; t: number }
  | { type: 'status'; seq: number; status: ChildStatus }
  | { type: 'seen'; key: string; written: number; t: number }
  | { type: 'burst-done'; seq: number; start: number; applied: number; durable: number }
  | { type: 'all-seen'; prefix: string; t: number }
  | { type: 'fatal'; message: string };

// ---------------------------------------------------------------------------------------------
// Child: one node

async function runChild(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      child: { type: 'boolean' },
      id: { type: 'string' },
      secret: { type: 'string' },
      'multicast-port': { type: 'string' },
      'announce-ms': { type: 'string' },
    },
  });
  const send = (message: FromChild): void => {
    if (process.connected) process.send?.(message);
  };
  const fail = (error: unknown): never => {
    send({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  };
  // The driver is gone (however it died): so is this node. It may have died while this module
  // was still loading, before the handler existed; hence also the checks after each await.
  process.on('disconnect', () => process.exit(0));
  const orphaned = (): void => {
    if (!process.connected) process.exit(0);
  };
  orphaned();

  const id = parseNodeId(values.id ?? '');
  const transport = await UdpTransport.open({
    nodeId: id,
    host: '127.0.0.1',
    interface: '127.0.0.1',
    multicast: { port: Number(values['multicast-port']), interface: '127.0.0.1' },
    announceIntervalMs: Number(values['announce-ms']),
  });
  const node = await Coordinator.create({
    id,
    port: transport,
    timers: nodeTimers,
    aead: nodeXChaCha20Poly1305,
    storage: new MemoryStore(),
    ...(values.secret === undefined ? {} : { secret: values.secret }),
  });
  await node.start();
  const map = (await node.channel('bench')).map('latency');
  orphaned();

  // Keys expected in a throughput burst, and how many of them are still unseen.
  let expectPrefix: string | undefined;
  let expectLeft = 0;
  (async () => {
    for await (const change of map.watch()) {
      if (change.local) continue;
      const t = now();
      if (expectPrefix !== undefined && change.key.startsWith(expectPrefix)) {
        if (--expectLeft === 0) {
          send({ type: 'all-seen', prefix: expectPrefix, t });
          expectPrefix = undefined;
        }
      } else if (change.key.startsWith('lat/') && typeof change.value === 'number') {
        send({ type: 'seen', key: change.key, written: change.value, t });
      }
    }
  })().catch(fail);

  let stopping = false;
  process.on('message', (message: ToChild) => {
    switch (message.type) {
      case 'ping':
        send({ type: 'pong', seq: message.seq, t: now() });
        break;
      case 'status': {
        const health = node.health();
        send({
          type: 'status',
          seq: message.seq,
          status: {
            peers: health.peers,
            keys: node.resourceUsage().keys,
            mode: health.mode,
            stats: transport.stats(),
            badMessages: health.badMessages,
            errors: health.errors,
            sync: node.resourceUsage().sync,
          },
        });
        break;
      }
      case 'write':
        // The payload is the write's own timestamp on the shared clock.
        map.set(message.key, now()).catch(fail);
        break;
      case 'expect': {
        expectPrefix = message.prefix;
        expectLeft = message.count;
        break;
      }
      case 'burst': {
        const start = now();
        const writes: Promise<void>[] = [];
        for (let i = 0; i < message.count; i++) writes.push(map.set(`${message.prefix}${i}`, i));
        const applied = now();
        Promise.all(writes)
          .then(() => send({ type: 'burst-done', seq: message.seq, start, applied, durable: now() }))
          .catch(fail);
        break;
      }
      case 'stop':
        if (stopping) return;
        stopping = true;
        node
          .dispose()
          .then(() => process.exit(0))
          .catch(fail);
        break;
    }
  });
  send({ type: 'ready', id });
}

// ---------------------------------------------------------------------------------------------
// Driver

const live = new Set<ChildProcess>();
function killAll(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

class BenchNode {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly #waiters = new Map<string, (message: FromChild) => void>();
  readonly #listeners = new Set<(message: FromChild) => void>();
  #seq = 0;
  #stderr = '';
  #exited = false;

  constructor(
    readonly name: string,
    args: readonly string[],
  ) {
    this.child = spawn(
      process.execPath,
      ['--conditions=@shoal/source', '--import', 'tsx', SELF, '--child', ...args],
      { cwd: DEMO_DIR, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
    );
    live.add(this.child);
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    let readyResolve: () => void = () => {};
    let readyReject: (error: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    this.child.on('message', (message: FromChild) => {
      if (message.type === 'ready') readyResolve();
      else if (message.type === 'fatal') readyReject(new Error(`${name}: ${message.message}`));
      if ('seq' in message) {
        const key = `${message.type}:${message.seq}`;
        this.#waiters.get(key)?.(message);
        this.#waiters.delete(key);
      }
      for (const listener of this.#listeners) listener(message);
    });
    this.child.on('exit', (code, signal) => {
      this.#exited = true;
      live.delete(this.child);
      readyReject(new Error(`${name} exited (${code ?? signal}) before ready: ${this.#stderr.trim()}`));
    });
  }

  get exited(): boolean {
    return this.#exited;
  }

  send(message: ToChild): void {
    if (this.child.connected) this.child.send(message);
  }

  on(listener: (message: FromChild) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #request<T extends FromChild>(type: 'pong' | 'status', make: (seq: number) => ToChild): Promise<T> {
    const seq = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no ${type} reply`)), 10_000);
      this.#waiters.set(`${type}:${seq}`, (message) => {
        clearTimeout(timer);
        resolve(message as T);
      });
      this.send(make(seq));
    });
  }

  async status(): Promise<ChildStatus> {
    const reply = await this.#request<Extract<FromChild, { type: 'status' }>>('status', (seq) => ({
      type: 'status',
      seq,
    }));
    return reply.status;
  }

  /** NTP-style estimate of (child clock − driver clock), from the lowest-RTT of `rounds` pings. */
  async clockOffset(rounds = 15): Promise<{ offset: number; rtt: number }> {
    let best = { offset: 0, rtt: Number.POSITIVE_INFINITY };
    for (let i = 0; i < rounds; i++) {
      const sent = now();
      const reply = await this.#request<Extract<FromChild, { type: 'pong' }>>('pong', (seq) => ({
        type: 'ping',
        seq,
      }));
      const received = now();
      const rtt = received - sent;
      if (rtt < best.rtt) best = { offset: reply.t - (sent + received) / 2, rtt };
    }
    return best;
  }

  burst(prefix: string, count: number): Promise<Extract<FromChild, { type: 'burst-done' }>> {
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      const off = this.on((message) => {
        if (message.type === 'burst-done' && message.seq === seq) {
          off();
          resolve(message);
        }
      });
      this.send({ type: 'burst', seq, prefix, count });
    });
  }

  async stop(timeoutMs = 5000): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

interface Cluster {
  readonly nodes: BenchNode[];
  readonly sealed: boolean;
  readonly multicastPort: number;
  readonly convergeMs: number;
}

function nodeId(): string {
  return randomBytes(16).toString('hex');
}

async function startCluster(size: number, sealed: boolean, announceMs: number): Promise<Cluster> {
  const multicastPort = 40_000 + Math.floor(Math.random() * 20_000);
  const invite = createInvite({ networkId: 'bench', secret: generateSecret() });
  const started = now();
  const nodes: BenchNode[] = [];
  for (let i = 0; i < size; i++) {
    nodes.push(
      new BenchNode(`n${i}`, [
        `--id=${nodeId()}`,
        `--multicast-port=${multicastPort}`,
        `--announce-ms=${announceMs}`,
        ...(sealed ? [`--secret=${invite}`] : []),
      ]),
    );
  }
  await Promise.all(nodes.map((node) => node.ready));
  const ready = now();
  // Converged: every node sees every other as a live peer, several polls in a row.
  let stable = 0;
  const deadline = now() + 60_000;
  while (stable < 3) {
    if (now() > deadline) throw new Error(`cluster of ${size} did not converge in 60 s`);
    await sleep(100);
    const statuses = await Promise.all(nodes.map((node) => node.status()));
    stable = statuses.every((status) => status.peers === size - 1) ? stable + 1 : 0;
  }
  const cluster = { nodes, sealed, multicastPort, convergeMs: now() - ready };
  log(
    `  cluster of ${size} (${sealed ? 'sealed' : 'open'}, group port ${multicastPort}): processes up in ${fmt((ready - started) / 1000)} s, converged ${fmt(cluster.convergeMs / 1000)} s later`,
  );
  return cluster;
}

async function stopCluster(cluster: Cluster): Promise<void> {
  await Promise.all(cluster.nodes.map((node) => node.stop()));
}

interface Latency {
  readonly writes: number;
  readonly complete: number;
  readonly first: number[];
  readonly all: number[];
  /** p50 latency to the k-th fastest peer, k = 1…N−1 (writes every peer saw). */
  readonly rankP50: number[];
  /** Largest |estimated offset| of a node's clock, and the RTT bounding that estimate's error (±RTT/2). */
  readonly maxClockOffset: number;
  readonly clockRtt: number;
}

/** `writes` writes of distinct keys by node 0, `spacingMs` apart; every other node reports visibility. */
async function measureLatency(cluster: Cluster, writes: number, spacingMs: number): Promise<Latency> {
  const [writer, ...peers] = cluster.nodes as [BenchNode, ...BenchNode[]];
  const offsets: { offset: number; rtt: number }[] = [];
  for (const node of cluster.nodes) offsets.push(await node.clockOffset(30));
  const worst = offsets.reduce((a, b) => (Math.abs(b.offset) > Math.abs(a.offset) ? b : a));
  const maxClockOffset = Math.abs(worst.offset);
  const seen = new Map<string, number[]>();
  const offs = peers.map((peer) =>
    peer.on((message) => {
      if (message.type !== 'seen') return;
      let list = seen.get(message.key);
      if (list === undefined) {
        list = [];
        seen.set(message.key, list);
      }
      list.push(message.t - message.written);
    }),
  );
  const keys: string[] = [];
  for (let i = 0; i < writes; i++) {
    const key = `lat/${cluster.nodes.length}/${i}`;
    keys.push(key);
    writer.send({ type: 'write', key });
    await sleep(spacingMs);
  }
  const deadline = now() + 10_000;
  while (now() < deadline && !keys.every((key) => (seen.get(key)?.length ?? 0) >= peers.length)) {
    await sleep(50);
  }
  for (const off of offs) off();
  const first: number[] = [];
  const all: number[] = [];
  const ranks: number[][] = peers.map(() => []);
  let complete = 0;
  for (const key of keys) {
    const list = [...(seen.get(key) ?? [])].sort((a, b) => a - b);
    if (list.length > 0) first.push(list[0] as number);
    if (list.length >= peers.length) {
      all.push(list[list.length - 1] as number);
      for (const [k, value] of list.entries()) ranks[k]?.push(value);
      complete++;
    }
  }
  const rankP50 = ranks.map((values) => percentile(values, 50));
  return { writes, complete, first, all, rankP50, maxClockOffset, clockRtt: worst.rtt };
}

interface Throughput {
  readonly count: number;
  /** Burst start on the writer to the last key visible on the peer. */
  readonly visibleMs: number;
  readonly appliedMs: number;
  readonly durableMs: number;
}

async function measureThroughput(cluster: Cluster, count: number, tag: string): Promise<Throughput> {
  const [writer, peer] = cluster.nodes as [BenchNode, BenchNode];
  const prefix = `tp/${tag}/`;
  const allSeen = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`throughput ${tag}: peer did not see all keys`)), 60_000);
    const off = peer.on((message) => {
      if (message.type === 'all-seen' && message.prefix === prefix) {
        clearTimeout(timer);
        off();
        resolve(message.t);
      }
    });
  });
  peer.send({ type: 'expect', prefix, count });
  await peer.clockOffset(1); // the expectation is in place before the burst starts
  const done = await writer.burst(prefix, count);
  const seenAt = await allSeen;
  return {
    count,
    visibleMs: seenAt - done.start,
    appliedMs: done.applied - done.start,
    durableMs: done.durable - done.start,
  };
}

interface Idle {
  readonly seconds: number;
  readonly perNodeKBPerMin: number[];
  readonly announcementsPerMin: number;
  readonly datagramsPerMin: number;
  /** Per node per minute, means: sync-engine counters. */
  readonly digestsPerMin: number;
  readonly deltasPerMin: number;
  readonly entriesPerMin: number;
  readonly roundsPerMin: number;
}

async function measureIdle(cluster: Cluster, seconds: number): Promise<Idle> {
  const before = await Promise.all(cluster.nodes.map((node) => node.status()));
  const started = now();
  await sleep(seconds * 1000);
  const after = await Promise.all(cluster.nodes.map((node) => node.status()));
  const minutes = (now() - started) / 60_000;
  const perNode = after.map((status, i) => {
    const b = before[i] as ChildStatus;
    return {
      bytes: status.stats.bytesSent - b.stats.bytesSent,
      datagrams: status.stats.datagramsSent - b.stats.datagramsSent,
      announcements: status.stats.announcementsSent - b.stats.announcementsSent,
      digests: status.sync.digestsSent - b.sync.digestsSent,
      deltas: status.sync.deltasSent - b.sync.deltasSent,
      entries: status.sync.entriesSent - b.sync.entriesSent,
      rounds: status.sync.rounds - b.sync.rounds,
      peers: status.peers,
    };
  });
  if (perNode.some((n) => n.peers !== cluster.nodes.length - 1))
    log('  warning: a node lost peers while idle');
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    seconds,
    perNodeKBPerMin: perNode.map((n) => n.bytes / 1024 / minutes),
    announcementsPerMin: mean(perNode.map((n) => n.announcements)) / minutes,
    datagramsPerMin: mean(perNode.map((n) => n.datagrams)) / minutes,
    digestsPerMin: mean(perNode.map((n) => n.digests)) / minutes,
    deltasPerMin: mean(perNode.map((n) => n.deltas)) / minutes,
    entriesPerMin: mean(perNode.map((n) => n.entries)) / minutes,
    roundsPerMin: mean(perNode.map((n) => n.rounds)) / minutes,
  };
}

// ---------------------------------------------------------------------------------------------
// Reporting

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function latencyRows(label: string, latency: Latency, aim?: { p50: number }): string[] {
  const row = (to: string, values: number[], withAim: boolean): string => {
    const p50 = percentile(values, 50);
    const met =
      aim === undefined || !withAim
        ? ''
        : p50 <= aim.p50
          ? ` (aim ≤ ${aim.p50}: met)`
          : ` (aim ≤ ${aim.p50}: **missed**)`;
    return `| ${label} | ${to} | ${values.length}/${latency.writes} | ${fmt(p50)}${met} | ${fmt(percentile(values, 99))} | ${fmt(Math.max(...values))} |`;
  };
  return [row('first peer', latency.first, false), row('all peers', latency.all, true)];
}

function offsetText(latency: Latency): string {
  return `${fmt(latency.maxClockOffset, 3)} ms (RTT ${fmt(latency.clockRtt, 3)} ms)`;
}

function idleRows(idle: Idle, empty: Idle): string[] {
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const max = Math.max(...idle.perNodeKBPerMin);
  const row = (label: string, pick: (i: Idle) => number, digits = 0): string =>
    `| ${label} | ${fmt(pick(idle), digits)} | ${fmt(pick(empty), digits)} |`;
  return [
    row('KB sent, mean over nodes', (i) => mean(i.perNodeKBPerMin), 1),
    `| KB sent, max over nodes | ${fmt(max, 1)} (aim ≤ 30: ${max <= 30 ? 'met' : '**missed**'}) | ${fmt(Math.max(...empty.perNodeKBPerMin), 1)} |`,
    row('KB sent, min over nodes', (i) => Math.min(...i.perNodeKBPerMin), 1),
    row('datagrams sent', (i) => i.datagramsPerMin),
    row('  of which discovery announcements', (i) => i.announcementsPerMin),
    row('sync rounds started', (i) => i.roundsPerMin),
    row('sync digest messages sent', (i) => i.digestsPerMin),
    row('sync delta messages sent', (i) => i.deltasPerMin),
    row('map entries re-sent by sync', (i) => i.entriesPerMin),
  ];
}

// ---------------------------------------------------------------------------------------------

const WRITES = 200;
const SPACING_MS = 20;
const BURST = 5000;
const BURST_ROUNDS = 7;
const IDLE_SECONDS = 60;
/** A shorter idle window before any write: the empty-map baseline, for diagnosis. */
const EMPTY_IDLE_SECONDS = 20;
const ANNOUNCE_MS = 1000; // the transport's default

/** `--quick`: only the 10-node latency, short idle windows, no report file (for diagnosis). */
const QUICK = process.argv.includes('--quick');

async function runDriver(): Promise<void> {
  if (QUICK) {
    const cluster = await startCluster(10, true, ANNOUNCE_MS);
    try {
      await sleep(2000);
      const latency = await measureLatency(cluster, WRITES, SPACING_MS);
      log(`  p50 by peer rank: ${latency.rankP50.map((v) => fmt(v, 1)).join(', ')} ms`);
    } finally {
      await stopCluster(cluster);
    }
    return;
  }
  const started = new Date();
  const uptimeBefore = execFileSync('uptime', { encoding: 'utf8' }).trim();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: DEMO_DIR,
      encoding: 'utf8',
    }).trim();
  } catch {}
  const command = `cd apps/demo && node ${process.execArgv.join(' ')} ${relative(DEMO_DIR, SELF)}`;
  log(`udp bench: ${started.toISOString()}; ${uptimeBefore}`);

  // (1) + (3): two nodes, sealed and open.
  const twoNode: { sealed: boolean; latency: Latency; throughput: Throughput[]; convergeMs: number }[] = [];
  for (const sealed of [true, false]) {
    const cluster = await startCluster(2, sealed, ANNOUNCE_MS);
    try {
      await sleep(500);
      const latency = await measureLatency(cluster, WRITES, SPACING_MS);
      log(`  2 nodes ${sealed ? 'sealed' : 'open'}: p50 ${fmt(percentile(latency.first, 50))} ms`);
      const throughput: Throughput[] = [];
      await measureThroughput(cluster, BURST, 'warmup'); // JIT warm-up, not reported
      for (let round = 0; round < BURST_ROUNDS; round++) {
        const result = await measureThroughput(cluster, BURST, `${round}`);
        log(
          `  ${BURST} sets ${sealed ? 'sealed' : 'open'}: visible on peer after ${fmt(result.visibleMs, 0)} ms`,
        );
        throughput.push(result);
        await sleep(300);
      }
      twoNode.push({ sealed, latency, throughput, convergeMs: cluster.convergeMs });
    } finally {
      await stopCluster(cluster);
    }
  }

  // (1) + (2): ten nodes, sealed.
  const cluster = await startCluster(10, true, ANNOUNCE_MS);
  let latency10: Latency;
  let idle: Idle;
  let idleEmpty: Idle;
  let badMessages = 0;
  let lossCounters = 0;
  try {
    await sleep(2000);
    log(`  idle (empty map) for ${EMPTY_IDLE_SECONDS} s…`);
    idleEmpty = await measureIdle(cluster, EMPTY_IDLE_SECONDS);
    latency10 = await measureLatency(cluster, WRITES, SPACING_MS);
    log(
      `  10 nodes: p50 first ${fmt(percentile(latency10.first, 50))} ms, all ${fmt(percentile(latency10.all, 50))} ms`,
    );
    await sleep(3000); // let anti-entropy settle after the writes
    log(`  idle for ${IDLE_SECONDS} s…`);
    idle = await measureIdle(cluster, IDLE_SECONDS);
    const statuses = await Promise.all(cluster.nodes.map((node) => node.status()));
    badMessages = statuses.reduce((sum, s) => sum + s.badMessages, 0);
    lossCounters = statuses.reduce(
      (sum, s) => sum + s.stats.queueFullDropped + s.stats.sendErrors + s.stats.socketErrors,
      0,
    );
  } finally {
    await stopCluster(cluster);
  }
  const uptimeAfter = execFileSync('uptime', { encoding: 'utf8' }).trim();

  const sealed2 = twoNode.find((run) => run.sealed) as (typeof twoNode)[number];
  const open2 = twoNode.find((run) => !run.sealed) as (typeof twoNode)[number];
  const median = (values: number[]): number => percentile(values, 50);
  const rate = (runs: Throughput[]): number => median(runs.map((r) => (r.count * 1000) / r.visibleMs));
  const rates = (runs: Throughput[]): number[] => runs.map((r) => (r.count * 1000) / r.visibleMs);
  const minRate = (runs: Throughput[]): number => Math.min(...rates(runs));
  const maxRate = (runs: Throughput[]): number => Math.max(...rates(runs));
  const sealedRate = rate(sealed2.throughput);
  const openRate = rate(open2.throughput);

  const lines = [
    '# Shoal demo benchmarks: loopback UDP, one process per node',
    '',
    `- Command: \`${command}\` (or \`pnpm --filter @shoal/demo bench\`)`,
    `- Commit: ${commit} (the working tree may hold uncommitted changes)`,
    `- Date: ${started.toISOString()}; total ${fmt((Date.now() - started.getTime()) / 1000, 0)} s`,
    `- Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}`,
    `- Load before: \`${uptimeBefore}\``,
    `- Load after: \`${uptimeAfter}\``,
    `- Setup: every node is its own \`node\` process (tsx), UDP on 127.0.0.1, multicast discovery on the loopback interface with a random group port per cluster, announce every ${ANNOUNCE_MS} ms (default), MemoryStore, default Coordinator config (gossip 200 ms, fanout 3). Sealed = fresh invite token (XChaCha20-Poly1305).`,
    '',
    '## Write-to-visible latency (ms)',
    '',
    `Node 0 writes ${WRITES} distinct keys ${SPACING_MS} ms apart after convergence, each value its write time on the shared clock \`performance.timeOrigin + performance.now()\`; every other node timestamps the change as its \`map.watch()\` yields it. "First peer" is the fastest peer per write, "all peers" the slowest (writes seen by every peer within 10 s). Sanity check of the shared clock, largest estimated offset of a node's clock vs the driver's (IPC ping, lowest RTT of 30; error ≤ RTT/2): 2 nodes ${offsetText(sealed2.latency)} sealed, ${offsetText(open2.latency)} open; 10 nodes ${offsetText(latency10)}.`,
    '',
    '| cluster | to | writes seen | p50 | p99 | max |',
    '|---|---|---|---|---|---|',
    ...latencyRows('2 nodes, sealed', sealed2.latency, { p50: 2 }),
    ...latencyRows('2 nodes, open', open2.latency),
    ...latencyRows('10 nodes, sealed', latency10, { p50: 15 }),
    '',
    `10 nodes, p50 latency to the k-th fastest peer (k = 1…9): ${latency10.rankP50.map((v) => fmt(v, 1)).join(', ')} ms. The writer eagerly pushes to fanout = 3 random peers, which (since 74de94a) relay a pushed entry once on first arrival; push-pull anti-entropy (one random peer per 200 ms round) repairs the rest.`,
    '',
    '## Idle traffic, 10 nodes sealed',
    '',
    `After the writes above and 3 s of settling, no writes for ${IDLE_SECONDS} s; bytes handed to the socket per node (\`UdpTransport.stats().bytesSent\`, UDP payload incl. framing, not IP/UDP headers).`,
    '',
    `| per node per minute | after ${WRITES} keys, ${IDLE_SECONDS} s | empty map (before any write), ${EMPTY_IDLE_SECONDS} s |`,
    '|---|---|---|',
    ...idleRows(idle, idleEmpty),
    `| bad messages / drops+send errors (whole run) | ${badMessages} / ${lossCounters} | |`,
    '',
    '## Sealing overhead, 2 nodes',
    '',
    `Writer applies ${BURST} \`set\`s of distinct keys in one synchronous loop; time from the first \`set\` to the peer's \`watch()\` yielding the last key. One warm-up round, then ${BURST_ROUNDS} rounds per mode; throughput is the median round's; the ratio's range pairs the slowest round of one mode with the fastest of the other.`,
    '',
    '| mode | visible on peer (ms, each round) | sets/s (median) | local apply (ms) | sets durable (ms) |',
    '|---|---|---|---|---|',
    ...[sealed2, open2].map(
      (run) =>
        `| ${run.sealed ? 'sealed' : 'open'} | ${run.throughput.map((r) => fmt(r.visibleMs, 0)).join(', ')} | ${fmt(rate(run.throughput), 0)} | ${fmt(median(run.throughput.map((r) => r.appliedMs)), 0)} | ${fmt(median(run.throughput.map((r) => r.durableMs)), 0)} |`,
    ),
    `| **sealed/open throughput** | | **${fmt(sealedRate / openRate)}** (range ${fmt(minRate(sealed2.throughput) / maxRate(open2.throughput))}–${fmt(maxRate(sealed2.throughput) / minRate(open2.throughput))}) | | |`,
    '',
    `Cluster convergence (all peers seen by all): 2 nodes ${fmt(sealed2.convergeMs / 1000)} s sealed, ${fmt(open2.convergeMs / 1000)} s open; 10 nodes ${fmt(cluster.convergeMs / 1000)} s.`,
    '',
  ];
  const report = lines.join('\n');
  writeFileSync(REPORT, report);
  process.stdout.write(`${report}\n`);
  log(`written to ${relative(process.cwd(), REPORT)}`);
}

if (process.argv.includes('--child')) {
  await runChild();
} else {
  try {
    await runDriver();
  } catch (error) {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  } finally {
    killAll();
  }
}
