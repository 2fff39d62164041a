import { parseArgs } from 'node:util';

/** What `pnpm --filter @shoal/bench bench -- [options]` may set. */
export interface CliOptions {
  /** Workload ids to run; all when empty. */
  readonly only: readonly string[];
  /** Subject names (shoal, shoal-sealed, yjs, automerge, automerge-fresh); all when empty. */
  readonly subjects: readonly string[];
  readonly keys: number;
  /** Automerge builds and syncs 100k single-key changes too slowly to stay under a minute. */
  readonly automergeKeys: number;
  /** Runs of the timed workloads (the median is reported). */
  readonly runs: number;
  /** Whether to write RESULTS.md (off when only part of the table ran). */
  readonly write: boolean;
}

export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      only: { type: 'string' },
      subjects: { type: 'string' },
      keys: { type: 'string', default: '100000' },
      'automerge-keys': { type: 'string', default: '20000' },
      runs: { type: 'string', default: '3' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const list = (value: string | undefined) => (value === undefined ? [] : value.split(',').filter(Boolean));
  return {
    only: list(values.only),
    subjects: list(values.subjects),
    keys: positive('keys', values.keys),
    automergeKeys: positive('automerge-keys', values['automerge-keys']),
    runs: positive('runs', values.runs),
    write: !values['no-write'],
  };
}

function positive(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}
