import type { Subject, SyncOutcome } from '../subject.js';

/** What one workload measured for one subject. */
export interface Measurement {
  /** The table cell. */
  readonly cell: string;
  /** The measured sync, for the byte breakdown. */
  readonly outcome: SyncOutcome;
  /** Map keys actually used (a subject may be scaled down). */
  readonly keys: number;
}

/** One scenario, run identically against every subject. */
export interface Workload {
  readonly id: string;
  readonly title: string;
  /** Shoal's aim for it. */
  readonly target: string;
  run(subject: Subject, keys: number, runs: number): Promise<Measurement>;
}
