import type { SyncOutcome } from './subject.js';

/** Decimal units, as network figures usually are: 1 KB = 1000 B. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Bytes, messages and round trips of one sync. */
export function formatSync(outcome: SyncOutcome): string {
  return `${formatBytes(outcome.bytes)} · ${outcome.messages} msg · ${Number(outcome.roundTrips.toFixed(1))} RTT`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
