import { formatBytes, formatMs, median } from '../format.js';
import type { Subject, SyncOutcome } from '../subject.js';
import type { Measurement, Workload } from './workload.js';

/** A fresh replica joins and pulls the whole map; bytes, and the median time of `runs` runs. */
export const newcomer: Workload = {
  id: 'newcomer',
  title: 'initial sync of a newcomer to the whole map',
  target: '≤ 1 MB, ≤ 0.3 s',
  async run(subject: Subject, keys: number, runs: number): Promise<Measurement> {
    const outcomes: SyncOutcome[] = [];
    for (let i = 0; i < runs; i++) {
      const pair = await subject.pair({ keys, writers: 1, synced: false });
      try {
        outcomes.push(await pair.sync());
      } finally {
        await pair.dispose();
      }
    }
    const outcome = outcomes[0] as SyncOutcome;
    const ms = median(outcomes.map((o) => o.ms));
    return {
      cell: `${formatBytes(outcome.bytes)} · ${outcome.messages} msg · ${formatMs(ms)}`,
      outcome: { ...outcome, ms },
      keys,
    };
  },
};
