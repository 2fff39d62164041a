/**
 * `pnpm soak [--nodes 10] [--minutes 2] [--seed N] [--fault-every 3] [--netns]` (seconds between
 * faults; `--netns`: each node on a network-namespace host of its own, as root): the chaos soak
 * (see {@link runSoak}), with
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
    netns: { type: 'boolean', default: false },
  },
});
const summary = await runSoak({
  nodes: Number(values.nodes),
  durationMs: Number(values.minutes) * 60_000,
  ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
  faultEveryMs: Number(values['fault-every']) * 1000,
  namespaces: values.netns,
  log: (line) => console.log(`  ${line}`),
});
const ok = summary.lost === 0 && summary.identical && summary.crashes.length === 0;
const { faults, hostile, divergence } = summary;
const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n} ${name}`)
    .join(', ') || 'none';
console.log(
  [
    `soak: ${summary.nodes} nodes (${summary.hosts === 'namespaces' ? 'a network-namespace host each' : 'on loopback'}), ${(summary.durationMs / 60_000).toFixed(1)} min, seed ${summary.seed}`,
    `  faults: ${faults.kill} kill -9 + restart, ${faults.pause} SIGSTOP/SIGCONT, ${faults.partition} partitions, ${faults.loss} loss, ${faults.duplication} duplication + reorder, ${faults.skew} clock skews, ${faults.replay} replays, ${summary.diskFaults ? `${faults['disk-full']} full disks` : 'no full disks (needs root)'}, ${faults.hostile} hostile`,
    `  hostile keyed peer sent: ${hostile.incarnationPings} pings at incarnation 2^53-1 or 2^32-2, ${hostile.futureClaims} sets signed at MAX_WALL in others' names, ${hostile.forgedEntries} forged stream entries, ${hostile.fragments} dangling fragments, ${hostile.oversizedValues} values over maxValueBytes, ${hostile.surrogateKeys} lone-surrogate keys, ${hostile.futureEntries} entries a year ahead, ${hostile.replayedAfterRestart} datagrams replayed after a restart`,
    `  nodes refused (counted since their last start): dropped ${counts(summary.refusals.dropped)}; errors ${counts(summary.refusals.errors)}`,
    `  datagrams through the relay: ${summary.traffic.forwarded} forwarded, ${summary.traffic.dropped} dropped, ${summary.traffic.duplicated} duplicated, ${summary.traffic.replayed} replayed`,
    `  acknowledged writes: ${summary.acknowledged}, lost: ${summary.lost} (refused on a full disk: ${summary.refused}); held only as a forgery that won the conflict: ${summary.conflictsLost}`,
    `  replicas identical: ${summary.identical}, ${summary.identical ? '' : 'sync settled '}${summary.convergedAfterMs} ms after the faults and writes stopped${summary.identical ? '' : ` (keys missing somewhere: ${divergence.keys}, stream slots missing somewhere: ${divergence.slots}, slots with different payloads: ${divergence.conflicting}, ${divergence.forged} of them forged)`}`,
    `  crashes: ${summary.crashes.length}, largest node RSS: ${summary.maxRssMiB} MiB`,
    ok ? '  ✓ valid' : '  ✗ INVALID',
  ].join('\n'),
);
if (!ok) {
  for (const crash of summary.crashes) console.log(`  crash: ${JSON.stringify(crash)}`);
  console.log(`  diagnosis: ${JSON.stringify(summary.diagnosis, null, 1)}`);
}
process.exit(ok ? 0 : 1);
