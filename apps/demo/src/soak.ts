/**
 * `pnpm soak [--nodes 10] [--minutes 2] [--seed N] [--fault-every 3]` (seconds between faults): the chaos soak (see {@link runSoak}), with
 * a Jepsen-style summary. Exits 1 when an acknowledged write was lost, replicas differ or a
 * node crashed.
 */
import { parseArgs } from 'node:util';
import { runSoak } from './soak-run.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    nodes: { type: 'string', default: '10' },
    minutes: { type: 'string', default: '2' },
    seed: { type: 'string' },
    'fault-every': { type: 'string', default: '3' },
  },
});
const summary = await runSoak({
  nodes: Number(values.nodes),
  durationMs: Number(values.minutes) * 60_000,
  ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
  faultEveryMs: Number(values['fault-every']) * 1000,
  log: (line) => console.log(`  ${line}`),
});
const ok = summary.lost === 0 && summary.identical && summary.crashes.length === 0;
console.log(
  [
    `soak: ${summary.nodes} nodes, ${(summary.durationMs / 60_000).toFixed(1)} min, seed ${summary.seed}`,
    `  faults: ${summary.faults.kill} kill -9 + restart, ${summary.faults.pause} SIGSTOP/SIGCONT, ${summary.faults.partition} partitions, ${summary.faults.loss} loss, ${summary.faults.duplication} duplication + reorder, ${summary.faults.skew} clock skews, ${summary.faults.replay} replays, ${summary.diskFaults ? `${summary.faults['disk-full']} full disks` : 'no full disks (needs root)'}`,
    `  datagrams through the relay: ${summary.traffic.forwarded} forwarded, ${summary.traffic.dropped} dropped, ${summary.traffic.duplicated} duplicated, ${summary.traffic.replayed} replayed`,
    `  acknowledged writes: ${summary.acknowledged}, lost: ${summary.lost} (refused on a full disk: ${summary.refused})`,
    `  replicas identical: ${summary.identical}, ${summary.convergedAfterMs} ms after the faults and writes stopped`,
    `  crashes: ${summary.crashes.length}, largest node RSS: ${summary.maxRssMiB} MiB`,
    ok ? '  ✓ valid' : '  ✗ INVALID',
  ].join('\n'),
);
if (!ok) {
  for (const crash of summary.crashes) console.log(`  crash: ${JSON.stringify(crash)}`);
  console.log(`  diagnosis: ${JSON.stringify(summary.diagnosis, null, 1)}`);
}
process.exit(ok ? 0 : 1);
