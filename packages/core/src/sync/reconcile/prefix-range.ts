import { POSITION_BITS } from './item-digest.js';

/** Deepest range: a single position (13 hex digits of the 52-bit key position). */
export const MAX_DEPTH = POSITION_BITS / 4;

/** Ranges a range splits into: one per hex digit. */
export const BRANCHING = 16;

/**
 * A range of key positions named by its first `depth` hex digits: `prefix` in [0, 16^depth).
 * Splitting a range always yields its 16 children, so both peers agree on bounds without
 * sending any (Meyer 2022 §3.3 splits by item count; under a uniform hash order, splitting
 * the position space is the same split on average and costs no bound bytes).
 */
export interface PrefixRange {
  readonly depth: number;
  readonly prefix: number;
}

/** The whole position space. */
export const ROOT_RANGE: PrefixRange = { depth: 0, prefix: 0 };

const SPANS = Array.from({ length: POSITION_BITS / 4 + 2 }, (_, depth) => 2 ** (POSITION_BITS - 4 * depth));

/** Positions one range of `depth` spans. */
export function rangeSpan(depth: number): number {
  return SPANS[depth] ?? 2 ** (POSITION_BITS - 4 * depth);
}

/** The first position in `range`. */
export function rangeStart(range: PrefixRange): number {
  return range.prefix * rangeSpan(range.depth);
}

/** Child `digit` (0..15) of `range`. */
export function childRange(range: PrefixRange, digit: number): PrefixRange {
  return { depth: range.depth + 1, prefix: range.prefix * BRANCHING + digit };
}

/** The hex digit of `position` at `depth` (0 is the most significant). */
export function digitAt(position: number, depth: number): number {
  return Math.floor(position / rangeSpan(depth + 1)) % BRANCHING;
}

/** True when `position` lies in `range`. */
export function rangeContains(range: PrefixRange, position: number): boolean {
  return Math.floor(position / rangeSpan(range.depth)) === range.prefix;
}

/** A stable string naming a range, for maps and de-duplication. */
export function rangeId(range: PrefixRange): string {
  return `${range.depth}:${range.prefix}`;
}
