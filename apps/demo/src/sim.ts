/**
 * `pnpm --filter @shoal/demo sim`: the live view over a {@link SimulatedNetwork}: 5 nodes,
 * 30 % message loss, a partition and its heal, on virtual time paced to real time so it can be
 * watched. Flags: `--seed <n>` (a seed replays the same run), `--speed <x>` (virtual seconds
 * per real second, default 1).
 */
import { parseArgs } from 'node:util';
import { createInvite } from '@shoal/core';
import { SimulatedNetwork } from '@shoal/transport-memory';
import { allSeeEachOther, converged } from './fleet-checks.js';
import { LiveView } from './live-view.js';
import { SimFleet } from './sim-fleet.js';

const { values } = parseArgs({
  options: { seed: { type: 'string', default: '7' }, speed: { type: 'string', default: '1' } },
});
const seed = Number(values.seed);
const speed = Number(values.speed);
if (!Number.isInteger(seed) || !(speed > 0)) {
  console.error('usage: sim [--seed <integer>] [--speed <virtual seconds per real second>]');
  process.exit(2);
}

const STEP_MS = 100;
const net = new SimulatedNetwork({ seed, loss: 0.3, latency: { min: 1, max: 20 } });
// A fixed key keeps a seeded run reproducible; the simulation never leaves this process.
const invite = createInvite({ networkId: 'shoal-sim', secret: new Uint8Array(32).fill(7) });
const fleet = await SimFleet.create(net, ['A', 'B', 'C', 'D', 'E'], invite);
const view = new LiveView(
  `Shoal simulation — 5 nodes, 30 % loss, virtual time at ${speed}×, seed ${seed}`,
  () => fleet.nodes.map((sim) => ({ name: sim.name, phase: 'running' as const, status: sim.status })),
);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const statuses = () => fleet.nodes.flatMap((sim) => (sim.status ? [sim.status] : []));

/** Runs virtual time in steps, each followed by a real pause, until `done` holds or `ms` pass. */
async function advance(ms: number, done: () => boolean = () => false): Promise<number> {
  let elapsed = 0;
  while (elapsed < ms && !done()) {
    await net.runFor(STEP_MS);
    elapsed += STEP_MS;
    fleet.refresh(STEP_MS);
    await new Promise((resolve) => setTimeout(resolve, STEP_MS / speed));
  }
  return elapsed;
}

view.start();
const ids = fleet.nodes.map((sim) => sim.node.id);
view.caption('5 nodes join one simulated network that loses 30 % of all messages');
const whole = () => statuses().length === ids.length && allSeeEachOther(statuses(), ids);
const discovery = await advance(60_000, whole);
view.log(`everyone sees everyone alive after ${seconds(discovery)} of virtual time`);
view.caption('Every node writes a reading every 500 ms; eager push plus anti-entropy repair the losses');
await advance(5_000);

view.caption('Partition: {A, B} | {C, D, E}. Each side carries on and marks the other suspect, then dead');
const sides = [
  ['node-a', 'node-b'],
  ['node-c', 'node-d', 'node-e'],
];
net.partition(...sides);
await advance(12_000);
// Said from what the table below shows, not from what should happen: at 30 % loss a side may
// still be exchanging its last writes when the snapshot is taken.
const digestsOf = (side: readonly string[]) =>
  new Set(
    statuses()
      .filter((status) => side.includes(status.id))
      .map((status) => status.digest),
  );
const [left, right] = sides.map(digestsOf) as [Set<string>, Set<string>];
const agreement = (set: Set<string>) => (set.size === 1 ? 'agrees within itself' : 'is still settling');
const across = [...left].some((digest) => right.has(digest))
  ? 'some digests match across'
  : 'the digests differ across';
view.log(`12 s apart: {A, B} ${agreement(left)}, {C, D, E} ${agreement(right)}; ${across}`);
view.snapshot();

view.caption('Heal: the sides find each other again (SWIM reconnect) and anti-entropy merges their writes');
net.heal();
const merged = await advance(60_000, whole);
view.log(`membership whole again after ${seconds(merged)}`);
await advance(2_000);

view.caption('Writers pause: every replica converges despite the loss');
fleet.writing = false;
const convergence = await advance(60_000, () => converged(statuses(), fleet.nodes.length));
view.log(`all 5 replicas identical after ${seconds(convergence)}`);
view.snapshot();
await advance(2_000);

view.caption('Every node leaves gracefully');
let disposed = false;
const disposal = fleet.dispose().then(() => {
  disposed = true;
});
while (!disposed) await net.runFor(STEP_MS);
await disposal;
view.stop();
const ok = converged(statuses(), fleet.nodes.length);
console.log(
  `${ok ? '✓' : '✗'} 5 nodes at 30 % loss: discovered in ${seconds(discovery)}, membership healed ${seconds(merged)} ` +
    `after the partition, converged ${seconds(convergence)} after the writes stopped (seed ${seed}, ${net.stats().totals.dropped} messages lost)`,
);
process.exit(ok ? 0 : 1);
