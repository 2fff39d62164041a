import type { NodeId } from '../ids/node-id.js';

/** Largest wall-clock value a timestamp holds: 48 bits of milliseconds (year 10889). */
export const MAX_WALL = 2 ** 48 - 1;
/** Largest logical counter: 16 bits. */
export const MAX_COUNTER = 0xffff;

/**
 * A hybrid logical clock reading (Kulkarni et al. 2014, §3): `wall` is the largest physical
 * time seen (ms since the epoch, 48 bits) and `counter` orders events within one `wall` value
 * (16 bits). Timestamps are plain immutable data.
 */
export interface Timestamp {
  readonly wall: number;
  readonly counter: number;
}

/** A timestamp with its writer: the total order every replica agrees on. */
export interface Version extends Timestamp {
  readonly writer: NodeId;
}

/** The timestamp before every other. */
export const ZERO_TIMESTAMP: Timestamp = Object.freeze({ wall: 0, counter: 0 });

/** Orders timestamps by (wall, counter). */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.wall - b.wall || a.counter - b.counter;
}

/** Orders versions by (wall, counter, writer): a total order, so every replica picks the same winner. */
export function compareVersions(a: Version, b: Version): number {
  const byTime = compareTimestamps(a, b);
  if (byTime !== 0) return byTime;
  return a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0;
}

/** True when `value` is a well-formed timestamp (integers within 48 and 16 bits). */
export function isTimestamp(value: Timestamp): boolean {
  return (
    Number.isInteger(value.wall) &&
    value.wall >= 0 &&
    value.wall <= MAX_WALL &&
    Number.isInteger(value.counter) &&
    value.counter >= 0 &&
    value.counter <= MAX_COUNTER
  );
}

/** Human-readable form, e.g. `2026-11-22T20:40:48.123Z+3`. */
export function formatTimestamp(stamp: Timestamp): string {
  return `${new Date(stamp.wall).toISOString()}+${stamp.counter}`;
}
