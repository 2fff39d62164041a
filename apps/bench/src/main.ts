import { writeFileSync } from 'node:fs';
import { automergeSubject } from './automerge-subject.js';
import { parseCli } from './cli-options.js';
import { breakdownTable, machineLine, type Row, resultsTable } from './results.js';
import { shoalSubject } from './shoal-subject.js';
import type { Subject } from './subject.js';
import { WORKLOADS } from './workloads/index.js';
import type { Measurement } from './workloads/workload.js';
import { yjsSubject } from './yjs-subject.js';

const options = parseCli(process.argv.slice(2));
const all: Record<string, Subject> = {
  shoal: shoalSubject(false),
  'shoal-sealed': shoalSubject(true),
  yjs: yjsSubject,
  automerge: automergeSubject(true, options.automergeKeys),
  'automerge-fresh': automergeSubject(false, options.automergeKeys),
};
const subjects = Object.entries(all)
  .filter(([name]) => options.subjects.length === 0 || options.subjects.includes(name))
  .map(([, subject]) => subject);
const workloads = WORKLOADS.filter((w) => options.only.length === 0 || options.only.includes(w.id));
if (workloads.length === 0)
  throw new Error(`no workload matches --only; ids: ${WORKLOADS.map((w) => w.id).join(', ')}`);

const loadBefore = machineLine();
const rows: Row[] = [];
for (const workload of workloads) {
  const cells = new Map<string, Measurement | Error>();
  for (const subject of subjects) {
    const keys = Math.min(options.keys, subject.maxKeys);
    const started = performance.now();
    try {
      cells.set(subject.name, await workload.run(subject, keys, options.runs));
    } catch (error) {
      cells.set(subject.name, error instanceof Error ? error : new Error(String(error)));
    }
    const cell = cells.get(subject.name);
    const shown = cell instanceof Error ? `failed: ${cell.message}` : cell?.cell;
    console.error(
      `${workload.id} / ${subject.name}: ${shown} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
  rows.push({ workload, cells });
}

const command = `pnpm --filter @shoal/bench bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const report = `# Shoal vs Yjs vs Automerge: sync cost

\`${command}\` — ${new Date().toISOString()}

Machine before: ${loadBefore}  
Machine after: ${machineLine()}

Map: ${options.keys} keys \`key-i → {v: i, s: 'value-' + i}\`, one change per key (Automerge at most
${options.automergeKeys} keys: building and syncing 100k single-key changes takes minutes there).
Cells: bytes on the wire (both directions) · messages · round trips until converged; times are
wall-clock medians of ${options.runs} runs in one process (both sides' CPU).

${resultsTable(rows, subjects, options.keys)}

## Where Shoal's bytes go (open mode)

Sync messages counted above are digests and deltas with their envelope headers; membership
(SWIM messages and gossip piggybacked on sync messages) is listed here and not above.

${breakdownTable(rows, 'Shoal')}

## How each library is measured

- **Shoal**: two Coordinators on a lossless SimulatedNetwork, 10 ms one way, 1200-byte
  datagrams, \`fanout: 0\`, Node's zlib and OpenSSL as \`openNode\` uses them; partitioned
  between syncs, healed to sync; bytes of every datagram sent from the heal until converged
  (plus answers already under way), security envelope included (12 bytes a message open, 48
  sealed). Open mode unless "sealed". Round trips from the first sync message to convergence,
  in units of 20 ms.
- **Yjs**: \`Y.Map\` of plain objects, \`Y.Array\` of strings; y-protocols sync step 1 and 2 from
  both sides (as y-websocket on connect); bytes of the y-protocols messages.
- **Automerge**: nested maps at the root, a list of strings; \`generateSyncMessage\` /
  \`receiveSyncMessage\` until both are quiet. "Automerge" persists each side's sync state
  (encode/decode) across reconnects; "fresh sync state" starts each reconnect from
  \`initSyncState()\`.
- Yjs and Automerge run hop by hop: both sides open at once, every hop is one one-way delay.
`;
console.log(report);
if (options.write) writeFileSync(new URL('../RESULTS.md', import.meta.url), report);
