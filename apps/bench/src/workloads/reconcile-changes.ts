import { formatSync } from '../format.js';
import type { MapWrite, Pair, PairSetup, Subject } from '../subject.js';
import { spreadWrites } from '../workload-data.js';
import type { Measurement, Workload } from './workload.js';

/** What happens on a synced pair before the measured reconnect. */
interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly target: string;
  readonly writers: number;
  /** False: the two replicas hold the same state but meet for the first time (no peer memory). */
  readonly memory?: boolean;
  /** Changes synced before the measured one (history that must not cost bytes later). */
  readonly history?: (keys: number) => MapWrite[];
  readonly onA: (keys: number) => MapWrite[];
  readonly onB?: (keys: number) => MapWrite[];
}

/**
 * A reconnect after changes: both sides were synced, then changed apart, then sync again.
 * The byte count is what reconciling the changes costs against a large shared state.
 */
export function reconcileWorkload(scenario: Scenario): Workload {
  return {
    id: scenario.id,
    title: scenario.title,
    target: scenario.target,
    async run(subject: Subject, keys: number): Promise<Measurement> {
      const setup: PairSetup = {
        keys,
        writers: scenario.writers,
        synced: true,
        ...(scenario.memory === undefined ? {} : { memory: scenario.memory }),
      };
      const pair: Pair = await subject.pair(setup);
      try {
        if (scenario.history !== undefined) {
          await pair.write('a', scenario.history(keys));
          await pair.sync();
        }
        await pair.write('a', scenario.onA(keys));
        if (scenario.onB !== undefined) await pair.write('b', scenario.onB(keys));
        const outcome = await pair.sync();
        return { cell: formatSync(outcome), outcome, keys };
      } finally {
        await pair.dispose();
      }
    },
  };
}

export const reconcileOneKey = reconcileWorkload({
  id: 'one-key',
  title: 'reconcile 1 changed key, after reconnect',
  target: '≤ 80 B, 1 RTT',
  writers: 1,
  onA: (keys) => spreadWrites(keys, 1, 1, Math.floor(keys / 2)),
});

export const reconcileOneKeyManyWriters = reconcileWorkload({
  id: 'one-key-1000-writers',
  title: 'same, map written by 1000 distinct writers',
  target: '≤ 1 KB',
  writers: 1000,
  onA: (keys) => spreadWrites(keys, 1, 1, Math.floor(keys / 2)),
});

export const firstContactManyWriters = reconcileWorkload({
  id: 'first-contact-1000-writers',
  title: 'same, first contact (no peer memory), 1 changed key on each side',
  target: '≤ 2 KB',
  writers: 1000,
  memory: false,
  onA: (keys) => spreadWrites(keys, 1, 1, Math.floor(keys / 2)),
  onB: (keys) => spreadWrites(keys, 1, 1, Math.floor(keys / 3)),
});

export const reconcileAfterOverwrites = reconcileWorkload({
  id: 'one-key-after-overwrites',
  title: 'reconcile 1 key after 1000 earlier synced overwrites',
  target: '≤ 80 B',
  writers: 1,
  history: (keys) => spreadWrites(keys, 1000, 1),
  onA: (keys) => spreadWrites(keys, 1, 2, Math.floor(keys / 2) + 1),
});

export const reconcileThousandKeys = reconcileWorkload({
  id: '1000-keys',
  title: 'reconcile 1000 changed keys',
  target: '≤ 36 KB',
  writers: 1,
  onA: (keys) => spreadWrites(keys, 1000, 1),
});

export const reconcileConcurrent = reconcileWorkload({
  id: 'concurrent-500',
  title: '500 changed on each side, concurrently',
  target: '≤ 36 KB',
  writers: 1,
  onA: (keys) => spreadWrites(keys, 500, 1),
  // Offset by half a step so the two sides change different keys.
  onB: (keys) => spreadWrites(keys, 500, 2, Math.max(1, Math.floor(keys / 1000))),
});
