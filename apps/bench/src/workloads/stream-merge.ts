import { formatBytes, median } from '../format.js';
import type { Subject, SyncOutcome } from '../subject.js';
import { streamPayloads } from '../workload-data.js';
import type { Measurement, Workload } from './workload.js';

/**
 * A fresh replica receives 100k stream entries: entries per second of the whole sync (both
 * sides' encoding, transfer and merge in one process), median of `runs` runs.
 */
export const streamMerge: Workload = {
  id: 'stream-merge',
  title: 'merge 100k remote stream entries (whole sync)',
  target: '≥ 1M entries/s',
  async run(subject: Subject, _keys: number, runs: number): Promise<Measurement> {
    const entries = 100_000;
    const payloads = streamPayloads(entries, 3);
    const outcomes: SyncOutcome[] = [];
    for (let i = 0; i < runs; i++) {
      const pair = await subject.pair({ keys: 0, writers: 1, synced: false });
      try {
        await pair.append('a', payloads);
        outcomes.push(await pair.sync());
      } finally {
        await pair.dispose();
      }
    }
    const ms = median(outcomes.map((o) => o.ms));
    const outcome = { ...(outcomes[0] as SyncOutcome), ms };
    const rate = entries / (ms / 1000);
    return { cell: `${(rate / 1000).toFixed(0)}k/s · ${formatBytes(outcome.bytes)}`, outcome, keys: 0 };
  },
};
