/**
 * Gossip rounds for one write to reach every node, against cluster size (issue 20: does it grow
 * as O(log N)?). Full Coordinators (sealed, SWIM on, 1200-byte datagrams, gossipInterval 200 ms)
 * on a seeded SimulatedNetwork in virtual time; every number is a pure function of its seed.
 * Run from the repository root:
 *
 *   node --conditions=@shoal/source --import tsx packages/core/bench/convergence.bench.ts \
 *     [--sizes 10,100,1000] [--seeds 20,10,2] [--loss 0] [--out file.md] [--svg file.svg]
 *
 * `--seeds` gives the runs per size, in the order of `--sizes`.
 */
import { writeFileSync } from 'node:fs';
import { SimulatedNetwork } from '../../transport-memory/src/index.js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import type { SharedMap } from '../src/coordinator/shared-map.js';
import { lineChartSvg } from './svg-chart.js';

const GOSSIP_INTERVAL = 200;
const DATAGRAM = 1200;
/** Virtual ms before the write: membership settled, every channel idle and backed off. */
const SETTLE = 10_000;
const SECRET = new Uint8Array(32).fill(7);
const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const SIZES = (option('--sizes') ?? '10,100,1000').split(',').map(Number);
const SEEDS = (option('--seeds') ?? '20,10,2').split(',').map(Number);
const LOSS = Number(option('--loss') ?? 0);
const FANOUTS = [3, 0] as const;

const out: string[] = [];
const print = (line = '') => {
  console.log(line);
  out.push(line);
};

/** Rounds (virtual ms ÷ gossipInterval) until half, all but 1 %, and all of the other nodes hold it. */
interface Spread {
  readonly half: number;
  readonly p99: number;
  readonly all: number;
}

async function run(seed: number, size: number, fanout: number): Promise<Spread> {
  const net = new SimulatedNetwork({
    seed,
    loss: LOSS,
    latency: { min: 1, max: 10 },
    maxMessageSize: DATAGRAM,
  });
  const nodes: Coordinator[] = [];
  const maps: SharedMap[] = [];
  for (let i = 0; i < size; i++) {
    const node = await Coordinator.create({
      id: `n${i}`,
      ...net.nodePorts(`n${i}`),
      secret: SECRET,
      config: { gossipInterval: GOSSIP_INTERVAL, fanout },
    });
    maps.push((await node.channel('bench')).map('kv'));
    await node.start();
    nodes.push(node);
  }
  await net.runFor(SETTLE);
  const start = net.now();
  const seen: number[] = [];
  const holding = new Set<number>([0]);
  void maps[0]?.set('x', 1);
  const done = await net.runUntil(
    () => {
      maps.forEach((map, i) => {
        if (!holding.has(i) && map.has('x')) {
          holding.add(i);
          seen.push((net.now() - start) / GOSSIP_INTERVAL);
        }
      });
      return holding.size === size;
    },
    { timeout: 120_000 },
  );
  for (const node of nodes) void node.dispose();
  if (!done) throw new Error(`seed ${seed}, ${size} nodes, fanout ${fanout}: not converged in 120 s`);
  const at = (fraction: number) => seen[Math.max(0, Math.ceil(fraction * seen.length) - 1)] ?? 0;
  return { half: at(0.5), p99: at(0.99), all: at(1) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const started = performance.now();
const results = new Map<string, { size: number; fanout: number; runs: Spread[] }>();
print('# Gossip rounds for one write to reach N nodes (virtual time)\n');
print(
  `Loss ${LOSS * 100} %, latency 1-10 ms, sealed, SWIM on, gossipInterval ${GOSSIP_INTERVAL} ms, write after ${SETTLE / 1000} s idle (channels backed off). Rounds = virtual ms ÷ ${GOSSIP_INTERVAL}.\n`,
);
print(
  '| N | fanout | runs | half the nodes (median) | all but 1 % (median) | all nodes: median | all nodes: max | real s per run |',
);
print('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [index, size] of SIZES.entries()) {
  const seeds = SEEDS[index] ?? SEEDS[SEEDS.length - 1] ?? 1;
  for (const fanout of FANOUTS) {
    const runs: Spread[] = [];
    const t0 = performance.now();
    for (let seed = 1; seed <= seeds; seed++) runs.push(await run(seed, size, fanout));
    const perRun = (performance.now() - t0) / 1000 / seeds;
    results.set(`${size}/${fanout}`, { size, fanout, runs });
    const r = (v: number) => v.toFixed(2);
    const all = runs.map((s) => s.all);
    print(
      `| ${size} | ${fanout} | ${seeds} | ${r(median(runs.map((s) => s.half)))} | ${r(median(runs.map((s) => s.p99)))} | ${r(median(all))} | ${r(Math.max(...all))} | ${perRun.toFixed(1)} |`,
    );
  }
}
print();
print(`(real time for the whole run: ${((performance.now() - started) / 1000).toFixed(0)} s)`);

const series = (fanout: number, pick: (runs: Spread[]) => number) =>
  SIZES.map((size) => ({ x: size, y: pick(results.get(`${size}/${fanout}`)?.runs ?? []) }));
const svg = lineChartSvg({
  title: `Rounds until every node holds one write (loss ${LOSS * 100} %)`,
  xLabel: 'nodes (log scale)',
  yLabel: `gossip rounds (${GOSSIP_INTERVAL} ms)`,
  xTicks: SIZES,
  series: [
    {
      label: 'anti-entropy alone, max',
      color: '#d62728',
      points: series(0, (runs) => Math.max(...runs.map((s) => s.all))),
    },
    {
      label: 'anti-entropy alone, median',
      color: '#ff9896',
      points: series(0, (runs) => median(runs.map((s) => s.all))),
    },
    {
      label: 'push + relay (fanout 3), max',
      color: '#1f77b4',
      points: series(3, (runs) => Math.max(...runs.map((s) => s.all))),
    },
    {
      label: 'push + relay, median',
      color: '#aec7e8',
      points: series(3, (runs) => median(runs.map((s) => s.all))),
    },
  ],
});
const svgFile = option('--svg');
if (svgFile !== undefined) writeFileSync(svgFile, svg);
const file = option('--out');
if (file !== undefined) writeFileSync(file, `${out.join('\n')}\n`);
