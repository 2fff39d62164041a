import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Coordinator, generateSecret, type SharedMap } from '@shoal/core';
import { openNode } from '@shoal/node';
import { formatBytes, formatMs } from './format.js';
import { machineLine } from './results.js';

/**
 * A channel larger than memory (issue 20, ADR 0050), maps kept in the store
 * (`config.mapEntries: 'store'`) on LMDB:
 * 1. fills a channel of `--entries` keys (once per data directory; not measured);
 * 2. copies it as a second replica (a restored backup given its own identity);
 * 3. in a child process whose heap is capped at `--heap` MB, reopens the first replica (time,
 *    heap after a collection), takes 100 writes, opens the copy (which lacks them) and syncs
 *    with it over UDP on loopback, then reconciles one more difference (time, bytes sent by
 *    both, membership included).
 *
 * `pnpm --filter @shoal/bench large -- --entries 1000000 --heap 512 [--maps memory] [--newcomer]`
 * (`CHILD_PROF=<dir>` writes a CPU profile of the measuring process there).
 */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    entries: { type: 'string', default: '1000000' },
    heap: { type: 'string', default: '512' },
    dir: { type: 'string' },
    /** Where the measured replicas keep their maps: `store` (ADR 0050), or `memory` to compare. */
    maps: { type: 'string', default: 'store' },
    /** Also time a newcomer (an empty replica) catching up on the whole channel. */
    newcomer: { type: 'boolean', default: false },
    child: { type: 'boolean', default: false },
    /** Internal: run as the newcomer, on this multicast port, until it holds `--target` keys. */
    joiner: { type: 'string' },
    target: { type: 'string' },
  },
});
const entries = Number(values.entries);
if (!Number.isSafeInteger(entries) || entries < 1000) throw new Error('--entries must be an integer ≥ 1000');
const dir = values.dir ?? join(tmpdir(), `shoal-large-${entries}`);
const CHANNEL = 'bench';
if (values.maps !== 'store' && values.maps !== 'memory') throw new Error('--maps must be store or memory');
const limits = { maxKeysPerChannel: 2 * entries };
/** The fill always keeps maps in the store: its count records are then written as it goes. */
const fillConfig = { mapEntries: 'store' as const, limits };
const config = { mapEntries: values.maps === 'memory' ? ('memory' as const) : ('store' as const), limits };
const udp = (port: number) => ({
  host: '127.0.0.1',
  interface: '127.0.0.1',
  multicast: { port, interface: '127.0.0.1' },
  announceIntervalMs: 200,
});
const secretFile = join(dir, 'secret');

if (values.joiner !== undefined) await join_();
else if (values.child) await measure();
else await main();

async function main(): Promise<void> {
  const filled = join(dir, 'filled');
  if (!existsSync(filled)) {
    rmSync(dir, { recursive: true, force: true });
    const started = performance.now();
    await fill(join(dir, 'a'));
    console.error(`filled ${entries} entries in ${formatMs(performance.now() - started)}`);
    writeFileSync(filled, '');
  }
  // A fresh copy each run: the measured run writes to both.
  rmSync(join(dir, 'b'), { recursive: true, force: true });
  rmSync(join(dir, 'run'), { recursive: true, force: true });
  cpSync(join(dir, 'a'), join(dir, 'run'), { recursive: true });
  cpSync(join(dir, 'a'), join(dir, 'b'), { recursive: true });
  const before = machineLine();
  const child = spawnSync(
    process.execPath,
    childArgs(['--child', ...(values.newcomer ? ['--newcomer'] : [])]),
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(`the measuring process failed (${child.status ?? child.signal})`);
  const result = JSON.parse(child.stdout) as Record<string, number>;
  const size = execFileSync('du', ['-sb', join(dir, 'a')], { encoding: 'utf8' }).split('\t')[0];
  const command = `pnpm --filter @shoal/bench large -- ${process.argv
    .slice(2)
    .filter((arg) => arg !== '--')
    .join(' ')}`.trim();
  console.log(`\`${command}\` — ${new Date().toISOString()}

Machine before: ${before}
Machine after: ${machineLine()}

${entries} keys (\`{ n, room, on }\` values) in one map, LMDB (${formatBytes(Number(size))} on disk), maps kept in ${values.maps}, heap capped at ${values.heap} MB.

| step | figure |
| --- | --- |
| reopen (store open, node, channel) | ${formatMs(result.openMs ?? 0)} |
| heap after reopen (after a collection) | ${formatBytes(result.openHeap ?? 0)} |
| 100 writes, durable | ${formatMs(result.writeMs ?? 0)} |
| first contact with a copy lacking those 100 writes, over UDP | ${formatMs(result.syncMs ?? 0)}, ${formatBytes(result.syncBytes ?? 0)} sent by both |
| reconcile 1 more difference (peers known) | ${formatMs(result.againMs ?? 0)}, ${formatBytes(result.againBytes ?? 0)} sent by both |
| heap at the end, both replicas open (after a collection) | ${formatBytes(result.endHeap ?? 0)} |${
    result.newcomerMs === undefined
      ? ''
      : `
| a newcomer (empty, maps in ${values.maps}, its own process) catches up on all of it | ${formatMs(result.newcomerMs)}, ${formatBytes(result.newcomerBytes ?? 0)} sent by all |
| the newcomer's heap when caught up (its own process, after a collection) | ${formatBytes(result.newcomerHeap ?? 0)} |`
  }`);
}

/** Arguments that run this file again, heap capped, with `extra`. */
function childArgs(extra: readonly string[]): string[] {
  return [
    `--max-old-space-size=${values.heap}`,
    '--expose-gc',
    ...(process.env.CHILD_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CHILD_PROF}`] : []),
    '--conditions=@shoal/source',
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    '--entries',
    String(entries),
    '--dir',
    dir,
    '--maps',
    values.maps,
    ...extra,
  ];
}

/** Writes `entries` keys into a fresh node at `path`, in transactions of 10k. */
async function fill(path: string): Promise<void> {
  const secret = generateSecret();
  const node = await openNode({
    dataDir: path,
    udp: false,
    config: fillConfig,
    storage: { durability: 'commit' },
  });
  const channel = await node.channel(CHANNEL);
  const map = channel.map('kv');
  for (let done = 0; done < entries; done += 10_000) {
    await channel.transact(() => {
      for (let i = done; i < Math.min(entries, done + 10_000); i++)
        void map.set(`key-${i.toString(36).padStart(6, '0')}`, { n: i, room: 'kitchen', on: i % 2 === 0 });
    });
    if (done % 500_000 === 0) console.error(`  ${done} / ${entries}`);
  }
  await node.dispose();
  writeFileSync(secretFile, Buffer.from(secret).toString('hex'));
}

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function sent(...nodes: Coordinator[]): number {
  let bytes = 0;
  for (const node of nodes) for (const type of Object.values(node.stats().traffic.sent)) bytes += type.bytes;
  return bytes;
}

async function until(done: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error('did not converge in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The newcomer's process: joins empty, waits to hold `--target` keys, prints time, bytes, heap. */
async function join_(): Promise<void> {
  const newcomerDir = join(dir, 'newcomer');
  rmSync(newcomerDir, { recursive: true, force: true });
  const secret = Buffer.from(readFileSync(secretFile, 'utf8'), 'hex');
  const target = Number(values.target);
  const started = performance.now();
  const c = await openNode({ dataDir: newcomerDir, udp: udp(Number(values.joiner)), config, secret });
  const onC: SharedMap = (await c.channel(CHANNEL)).map('kv');
  const progress = setInterval(() => console.error(`  newcomer holds ${onC.size} / ${target}`), 10_000);
  await until(() => onC.size === target, 3_600_000);
  clearInterval(progress);
  const ms = performance.now() - started;
  const figures = { ms, sent: sent(c), heap: heap() };
  await c.dispose();
  rmSync(newcomerDir, { recursive: true, force: true });
  console.log(JSON.stringify(figures));
}

/** The child: reopen, write, reconcile; prints the figures as JSON. */
async function measure(): Promise<void> {
  const port = 40_000 + Math.floor(Math.random() * 20_000);
  const secret = Buffer.from(readFileSync(secretFile, 'utf8'), 'hex');
  const opened = performance.now();
  const a = await openNode({ dataDir: join(dir, 'run'), udp: udp(port), config, secret });
  const onA: SharedMap = (await a.channel(CHANNEL)).map('kv');
  const openMs = performance.now() - opened;
  if (onA.size !== entries) throw new Error(`reopened ${onA.size} keys, not ${entries}`);
  const openHeap = heap();
  const wrote = performance.now();
  await Promise.all(Array.from({ length: 100 }, (_, i) => onA.set(`new-${i}`, { n: i })));
  const writeMs = performance.now() - wrote;
  const b = await openNode({ dataDir: join(dir, 'b'), udp: udp(port), config, secret, newIdentity: true });
  const onB: SharedMap = (await b.channel(CHANNEL)).map('kv');
  const syncStart = performance.now();
  const bytesBefore = sent(a, b);
  await until(() => onB.get('new-99') !== undefined && onB.size === onA.size);
  const syncMs = performance.now() - syncStart;
  const syncBytes = sent(a, b) - bytesBefore;
  const againStart = performance.now();
  const againBefore = sent(a, b);
  await onA.set('key-000000', { n: -1, room: 'hall', on: true });
  await until(() => (onB.get('key-000000') as { n?: number } | undefined)?.n === -1);
  const againMs = performance.now() - againStart;
  const againBytes = sent(a, b) - againBefore;
  const endHeap = heap();
  const figures: Record<string, number> = {
    openMs,
    openHeap,
    writeMs,
    syncMs,
    syncBytes,
    againMs,
    againBytes,
    endHeap,
  };
  if (values.newcomer) {
    // In a process of its own, as a new device would be: it shares no event loop with the others.
    const before = sent(a, b);
    const joiner = spawn(
      process.execPath,
      childArgs(['--joiner', String(port), '--target', String(onA.size)]),
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    joiner.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => joiner.on('exit', resolve));
    if (code !== 0) throw new Error(`the newcomer failed (${code})`);
    const joined = JSON.parse(output) as { ms: number; sent: number; heap: number };
    figures.newcomerMs = joined.ms;
    figures.newcomerBytes = sent(a, b) - before + joined.sent;
    figures.newcomerHeap = joined.heap;
  }
  await Promise.all([a.dispose(), b.dispose()]);
  console.log(JSON.stringify(figures));
}
