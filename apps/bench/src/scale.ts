import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatBytes, formatMs } from './format.js';
import { machineLine } from './results.js';
import { shoalClonedPair } from './shoal-subject.js';
import type { SyncOutcome } from './subject.js';
import { spreadWrites } from './workload-data.js';

/**
 * Reconciliation at scale, Shoal only: a map of `--keys` keys (`--writers` writers) is copied
 * to a second replica that has never talked to the first (a restored backup), then the pair
 * syncs after 1 difference (first contact, no peer memory), after 100 more, and after 1 more
 * (both with the memory the earlier syncs left). Each sync's bytes, messages, round trips and
 * time go to `SCALE.md` (or stdout with `--no-write`).
 *
 * `pnpm --filter @shoal/bench scale -- --keys 1000000`
 */
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    keys: { type: 'string', default: '1000000' },
    writers: { type: 'string', default: '1' },
    'no-write': { type: 'boolean', default: false },
  },
});
const keys = Number(values.keys);
const writers = Number(values.writers);
if (!Number.isSafeInteger(keys) || keys < 1000) throw new Error('--keys must be an integer ≥ 1000');
if (!Number.isSafeInteger(writers) || writers < 1) throw new Error('--writers must be a positive integer');

const loadBefore = machineLine();
const built = performance.now();
const pair = await shoalClonedPair({ keys, writers, synced: false });
const setupMs = performance.now() - built;
console.error(`built and copied ${keys} keys by ${writers} writer(s) in ${formatMs(setupMs)}`);

const steps: Array<{ title: string; changes: number; version: number }> = [
  { title: 'first contact (no peer memory), 1 difference', changes: 1, version: 1 },
  { title: 'reconnect, 100 differences', changes: 100, version: 2 },
  { title: 'reconnect, 1 difference', changes: 1, version: 3 },
];
const rows: string[] = [];
try {
  for (const step of steps) {
    await pair.write('a', spreadWrites(keys, step.changes, step.version, step.version));
    const outcome: SyncOutcome = await pair.sync();
    const row = `| ${step.title} | ${formatBytes(outcome.bytes)} | ${outcome.messages} | ${outcome.roundTrips} | ${formatMs(outcome.ms)} |`;
    console.error(row);
    rows.push(row);
  }
} finally {
  await pair.dispose();
}

const command = `pnpm --filter @shoal/bench scale -- ${process.argv.slice(2).join(' ')}`.trim();
const report = `# Shoal reconciliation at scale

\`${command}\` — ${new Date().toISOString()}

Machine before: ${loadBefore}  
Machine after: ${machineLine()}

Map: ${keys} keys \`key-i → {v: i, s: 'value-' + i}\` by ${writers} writer(s). The second replica
starts as a copy of the first's store (set-up ${formatMs(setupMs)}, not measured), then each row
changes keys on the first replica only and syncs. Bytes: every sync datagram both ways, envelope
headers included (open mode; membership excluded, as in RESULTS.md). Round trips in units of
20 ms (10 ms one way).

| sync | bytes | messages | round trips | time |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
if (values['no-write']) console.log(report);
else writeFileSync(new URL('../SCALE.md', import.meta.url), report);
