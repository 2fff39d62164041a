import { formatBytes } from '../format.js';
import type { Subject } from '../subject.js';
import { streamPayloads } from '../workload-data.js';
import type { Measurement, Workload } from './workload.js';

const MISSING = 1000;
const PAYLOAD = 100;

/**
 * A replica that synced 1000 entries earlier misses the next 1000; the cell gives the bytes and
 * the overhead per entry beyond its 100 payload bytes.
 */
export const streamCatchUp: Workload = {
  id: 'stream-catch-up',
  title: 'stream catch-up, 1000 missing entries (100 B each)',
  target: '≤ 8 B overhead per entry',
  async run(subject: Subject): Promise<Measurement> {
    const pair = await subject.pair({ keys: 0, writers: 1, synced: true });
    try {
      await pair.append('a', streamPayloads(MISSING, 1, PAYLOAD));
      await pair.sync();
      await pair.append('a', streamPayloads(MISSING, 2, PAYLOAD));
      const outcome = await pair.sync();
      const overhead = (outcome.bytes - MISSING * PAYLOAD) / MISSING;
      return {
        cell: `${formatBytes(outcome.bytes)} · ${overhead.toFixed(1)} B/entry · ${Number(outcome.roundTrips.toFixed(1))} RTT`,
        outcome,
        keys: 0,
      };
    } finally {
      await pair.dispose();
    }
  },
};
