/**
 * Sync engine benchmark on the simulated network (virtual time, seeded; no wall-clock numbers):
 * gossip rounds to converge, write-to-visible latency with eager push, what a newcomer to a
 * 10k-key cluster is sent and by whom, and idle traffic. Run from the repository root:
 *
 *   node --conditions=@shoal/source --import tsx packages/core/bench/sync.bench.ts [--seeds 200] [--out file.md]
 *     [--join-seeds 5] [--load-seeds 2] [--only rounds,latency,join,load]
 *
 * Nodes are full Coordinators (sealed with one network secret, SWIM membership on, storage
 * per node) on 1200-byte datagrams, as over UDP. Every result is a pure function of its seed.
 */

import { writeFileSync } from 'node:fs';
import { type SimulatedNetwork as Network, SimulatedNetwork } from '../../transport-memory/src/index.js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import type { SharedMap } from '../src/coordinator/shared-map.js';
import type { MapEntry } from '../src/crdt/lww-map.js';
import type { NodeId } from '../src/ids/node-id.js';
import { encodeDelta } from '../src/protocol/sync-codec.js';
import { DeltaChunker } from '../src/sync/delta-chunker.js';
import { signedReplica } from './signed-replica.js';

const GOSSIP_INTERVAL = 200;
const DATAGRAM = 1200;
const SECRET = new Uint8Array(32).fill(7);
const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const SEEDS = Number(option('--seeds') ?? 200);
const JOIN_SEEDS = Number(option('--join-seeds') ?? 5);
const LOAD_SEEDS = Number(option('--load-seeds') ?? 2);
const SECTIONS = ['rounds', 'latency', 'join', 'load'];
const ONLY = (option('--only') ?? SECTIONS.join(',')).split(',');
for (const section of ONLY) {
  if (!SECTIONS.includes(section)) {
    console.error(`--only: unknown section "${section}" (expected some of ${SECTIONS.join(', ')})`);
    process.exit(2);
  }
}
const out: string[] = [];
const print = (line = '') => {
  console.log(line);
  out.push(line);
};

interface Cluster {
  readonly net: Network;
  readonly nodes: Coordinator[];
  readonly maps: SharedMap[];
}

interface ClusterOptions {
  readonly seed: number;
  readonly size: number;
  readonly loss?: number;
  readonly latency?: number | { min: number; max: number };
  readonly fanout?: number;
}

async function addNode(cluster: Cluster, id: string, fanout: number): Promise<void> {
  const { net } = cluster;
  const node = await Coordinator.create({
    id,
    ...net.nodePorts(id),
    secret: SECRET,
    config: { gossipInterval: GOSSIP_INTERVAL, fanout },
  });
  cluster.maps.push((await node.channel('bench')).map('kv'));
  await node.start();
  cluster.nodes.push(node);
}

/**
 * A cluster whose membership has settled (2 s of virtual time) and whose nodes have all proven
 * their keys to each other (pair sealing's first contact, ADR 0045: under loss a lost hello
 * costs a second, which is a cost of meeting, not of spreading a write). Capped at 30 s.
 */
async function cluster(options: ClusterOptions): Promise<Cluster> {
  const net = new SimulatedNetwork({
    seed: options.seed,
    loss: options.loss ?? 0,
    latency: options.latency ?? { min: 1, max: 10 },
    maxMessageSize: DATAGRAM,
  });
  const built: Cluster = { net, nodes: [], maps: [] };
  for (let i = 0; i < options.size; i++) await addNode(built, `n${i}`, options.fanout ?? 3);
  await net.runFor(2000);
  await net.runUntil(() => built.nodes.every((node) => pairedWithAll(node, options.size)), {
    timeout: 30_000,
  });
  return built;
}

/** Whether `node` lists every other member of a `size`-node cluster with a proven key. */
function pairedWithAll(node: Coordinator, size: number): boolean {
  const others = node.members().filter((member) => member.id !== node.id);
  return others.length === size - 1 && others.every((member) => member.publicKey !== undefined);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

/**
 * Writes one key on node 0 and runs until every node sees it; returns the virtual ms at which
 * each other node first saw it (Infinity when it never did within 60 s).
 */
async function spread(built: Cluster, key: string): Promise<number[]> {
  const { net, maps } = built;
  const start = net.now();
  const seen = maps.map(() => Number.POSITIVE_INFINITY);
  void maps[0]?.set(key, { v: 1, s: 'value-1' });
  await net.runUntil(
    () => {
      let all = true;
      maps.forEach((map, i) => {
        if (seen[i] === Number.POSITIVE_INFINITY && map.has(key)) seen[i] = net.now() - start;
        all &&= seen[i] !== Number.POSITIVE_INFINITY;
      });
      return all;
    },
    { timeout: 60_000 },
  );
  return seen.slice(1);
}

async function dispose(built: Cluster): Promise<void> {
  // Disposing gossips a graceful leave; nothing here waits on it.
  for (const node of built.nodes) void node.dispose();
  await built.net.runFor(5000);
}

async function rounds(): Promise<void> {
  print(`## Gossip rounds until all 10 nodes hold one write (${SEEDS} seeds, 1-10 ms latency)\n`);
  print('Rounds = virtual ms from the write until the last node has it ÷ gossipInterval (200 ms).\n');
  print('| fanout | loss | p50 rounds | p99 rounds | max rounds | not converged in 60 s |');
  print('|---:|---:|---:|---:|---:|---:|');
  for (const fanout of [0, 3]) {
    for (const loss of [0, 0.3]) {
      const all: number[] = [];
      for (let seed = 1; seed <= SEEDS; seed++) {
        const built = await cluster({ seed, size: 10, loss, fanout });
        all.push(Math.max(...(await spread(built, 'x'))) / GOSSIP_INTERVAL);
        await dispose(built);
      }
      const finite = all.filter(Number.isFinite);
      const r = (v: number) => v.toFixed(2);
      print(
        `| ${fanout} | ${loss * 100} % | ${r(percentile(all, 50))} | ${r(percentile(all, 99))} | ${r(Math.max(...finite))} | ${all.length - finite.length} |`,
      );
    }
  }
  print();
}

async function latency(): Promise<void> {
  print(`## Write-to-visible latency with eager push (fanout 3, latency 5 ms fixed, ${SEEDS} seeds)\n`);
  print(
    '| loss | first peer p50 | first peer p99 | any peer p50 | any peer p99 | all 9 peers p50 | all 9 peers p99 |',
  );
  print('|---:|---:|---:|---:|---:|---:|---:|');
  for (const loss of [0, 0.3]) {
    const first: number[] = [];
    const each: number[] = [];
    const last: number[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const built = await cluster({ seed, size: 10, loss, latency: 5, fanout: 3 });
      const seen = await spread(built, 'x');
      first.push(Math.min(...seen));
      each.push(...seen);
      last.push(Math.max(...seen));
      await dispose(built);
    }
    const ms = (v: number) => `${Math.round(v)} ms`;
    print(
      `| ${loss * 100} % | ${ms(percentile(first, 50))} | ${ms(percentile(first, 99))} | ${ms(percentile(each, 50))} | ${ms(percentile(each, 99))} | ${ms(percentile(last, 50))} | ${ms(percentile(last, 99))} |`,
    );
  }
  print();
}

/** Bytes of one copy of `map`'s state as chunked delta bodies (envelope and seal excluded). */
async function oneCopy(map: SharedMap, keys: number): Promise<number> {
  const entries: MapEntry[] = [];
  const watch = map.watch({ since: 0 });
  for await (const change of watch) {
    entries.push({ key: change.key, value: change.value, ...change.stamp, writer: change.writer });
    if (entries.length === keys) break;
  }
  const replica = signedReplica(entries, 'kv');
  // The node's body budget on a 1200-byte port: 1200 - seal - envelope - 3 - 150 of gossip room.
  const chunker = new DeltaChunker('bench', 990, false);
  chunker.add({ kind: 'map', name: 'kv', ...replica.planDelta(new Map(), '', null) });
  return chunker.finish().reduce((sum, message) => sum + encodeDelta(message).length, 0);
}

async function joinAndIdle(): Promise<void> {
  const KEYS = 10_000;
  const joins: string[] = [];
  const idle: string[] = [];
  for (let seed = 1; seed <= JOIN_SEEDS; seed++) {
    const built = await cluster({ seed, size: 10 });
    const { net, maps } = built;
    // 10k keys written by all 10 nodes, 1k each, then full convergence.
    for (let i = 0; i < KEYS; i++) void maps[i % 10]?.set(`key-${i}`, { v: i, s: `value-${i}` });
    const settled = await net.runUntil(() => maps.every((map) => map.size === KEYS), { timeout: 600_000 });
    if (!settled) throw new Error(`seed ${seed}: the 10k keys never converged`);
    await net.runFor(5000);
    const copy = await oneCopy(maps[0] as SharedMap, KEYS);

    const before = net.stats();
    await net.runFor(60_000);
    const after = net.stats();
    const perNode = [...after.nodes].map(([id, s]) => s.bytesSent - (before.nodes.get(id)?.bytesSent ?? 0));
    const messages = after.totals.sent - before.totals.sent;
    idle.push(
      `| ${seed} | ${Math.round(percentile(perNode, 50)).toLocaleString('en')} | ${Math.max(...perNode).toLocaleString('en')} | ${(messages / 10).toFixed(0)} |`,
    );

    const received = new Map<NodeId, number>();
    const stop = net.onTrace((entry) => {
      if (entry.type === 'deliver' && entry.to === 'n10')
        received.set(entry.from, (received.get(entry.from) ?? 0) + entry.size);
    });
    const joinedAt = net.now();
    await addNode(built, 'n10', 3);
    const newcomer = maps[10] as SharedMap;
    const done = await net.runUntil(() => newcomer.size === KEYS, { timeout: 120_000 });
    const took = net.now() - joinedAt;
    await net.runFor(5000);
    stop();
    const bySender = [...received.values()].sort((a, b) => b - a);
    const total = bySender.reduce((sum, bytes) => sum + bytes, 0);
    // A peer that sent more than one tenth of a copy served data, not only digests and pings.
    const servers = bySender.filter((bytes) => bytes > copy / 10).length;
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    joins.push(
      `| ${seed} | ${done ? `${(took / 1000).toFixed(1)} s` : 'no'} | ${kb(copy)} | ${kb(total)} | ${(total / copy).toFixed(2)} | ${servers} | ${kb(bySender[0] ?? 0)} | ${kb(bySender[1] ?? 0)} | ${bySender.length} |`,
    );
    await dispose(built);
  }
  print(`## A newcomer joins a converged 10-node cluster holding 10k keys (${JOIN_SEEDS} seeds)\n`);
  print(
    'Bytes are as delivered to the newcomer (sealed datagrams, gossip and SWIM included), over the 5 s after it finished.',
  );
  print('One copy = the whole state as chunked delta bodies (no envelope or seal).\n');
  print(
    '| seed | complete after | one copy | delivered to newcomer | ÷ one copy | peers that sent > 10 % of a copy | top sender | 2nd sender | peers that sent anything |',
  );
  print('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const line of joins) print(line);
  print();
  print(
    '## Idle traffic in a converged 10-node cluster (10k keys, 10 writers), one virtual minute, no writes\n',
  );
  print('| seed | bytes sent per node per minute (median) | max node | messages sent per node per minute |');
  print('|---:|---:|---:|---:|');
  for (const line of idle) print(line);
  print();
}

/**
 * Every node writes while the network loses datagrams: 10 nodes each write 100 keys a second for
 * 10 s (5 every 50 ms), then run until all hold all 10k. Counts the entries every node sent
 * (pushes, relays and answers) against the 9 copies each write needs, and all bytes sent.
 */
async function writesUnderLoss(): Promise<void> {
  print(`## 10 nodes writing 100 keys/s each for 10 s, under loss (${LOAD_SEEDS} seeds)\n`);
  print(
    'Entries sent = by all nodes from the first write until all hold all 10k keys; a needed copy is one write reaching one other node (90k).\n',
  );
  print('| loss | seed | converged after | entries sent | ÷ needed copies | bytes sent (all nodes) |');
  print('|---:|---:|---:|---:|---:|---:|');
  for (const loss of [0, 0.1, 0.3]) {
    for (let seed = 1; seed <= LOAD_SEEDS; seed++) {
      const built = await cluster({ seed, size: 10, loss });
      const { net, nodes, maps } = built;
      const entriesSent = () => nodes.reduce((sum, node) => sum + node.resourceUsage().sync.entriesSent, 0);
      const bytesSent = () => [...net.stats().nodes.values()].reduce((sum, node) => sum + node.bytesSent, 0);
      const [entries0, bytes0, start] = [entriesSent(), bytesSent(), net.now()];
      let written = 0;
      for (let tick = 0; tick < 200; tick++) {
        for (const map of maps)
          for (let i = 0; i < 5; i++, written++)
            void map.set(`key-${written}`, { v: written, s: `value-${written}` });
        await net.runFor(50);
      }
      const done = await net.runUntil(() => maps.every((map) => map.size === written), { timeout: 300_000 });
      const entries = entriesSent() - entries0;
      print(
        `| ${loss * 100} % | ${seed} | ${done ? `${((net.now() - start) / 1000).toFixed(1)} s` : 'no'} | ${entries.toLocaleString('en')} | ${(entries / (written * 9)).toFixed(2)} | ${((bytesSent() - bytes0) / 1e6).toFixed(2)} MB |`,
      );
      await dispose(built);
    }
  }
  print();
}

print('# Shoal sync engine benchmark (virtual time)\n');
print(
  `${SEEDS} seeds per row for rounds and latency; gossipInterval ${GOSSIP_INTERVAL} ms; ${DATAGRAM}-byte datagrams; sealed.\n`,
);
const started = performance.now();
if (ONLY.includes('rounds')) await rounds();
if (ONLY.includes('latency')) await latency();
if (ONLY.includes('join')) await joinAndIdle();
if (ONLY.includes('load')) await writesUnderLoss();
print(`(real time for the whole run: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
const file = option('--out');
if (file !== undefined) writeFileSync(file, `${out.join('\n')}\n`);
