import type { Timestamp } from '../clock/timestamp.js';
import { compareTimestamps } from '../clock/timestamp.js';
import type { MapEntry } from '../crdt/lww-map.js';
import { MAX_BEYOND_BUCKETS } from '../protocol/map-clock-codec.js';
import type { EntrySum, HeldBeyond, MapClock } from '../protocol/sync-messages.js';

/** Accumulates a {@link HeldBeyond} entry by entry, in any order. */
export class HeldBeyondSum {
  #max: Timestamp | undefined;
  #count = 0;
  #sum1 = 0;
  #sum2 = 0;

  add(entry: MapEntry): void {
    const [hash1, hash2] = entryHash(entry);
    this.#sum1 = (this.#sum1 + hash1) >>> 0;
    this.#sum2 = (this.#sum2 + hash2) >>> 0;
    this.#count++;
    if (this.#max === undefined || compareTimestamps(entry, this.#max) > 0) {
      this.#max = { wall: entry.wall, counter: entry.counter };
    }
  }

  get count(): number {
    return this.#count;
  }

  /** How many entries were added and the sum of their hashes. */
  totals(): EntrySum {
    return { count: this.#count, sum1: this.#sum1, sum2: this.#sum2 };
  }

  /** The summary, or undefined when nothing was added. */
  summary(): HeldBeyond | undefined {
    if (this.#max === undefined) return undefined;
    return { max: this.#max, count: this.#count, sum1: this.#sum1, sum2: this.#sum2 };
  }

  /** True when this sum covers exactly the entries `other` summarizes (up to 2^-64 luck). */
  matches(other: EntrySum): boolean {
    return this.#count === other.count && this.#sum1 === other.sum1 && this.#sum2 === other.sum2;
  }
}

/**
 * A summary holds about this many entries a bucket: about 12 bytes of digest for 32 entries a
 * peer need not be sent again when one of its pushes was lost.
 */
const ENTRIES_PER_BUCKET = 32;

/**
 * The {@link HeldBeyond} summary of `entries` (one writer's, held beyond its synced clock, in
 * any order), or undefined when there are none. Beyond {@link ENTRIES_PER_BUCKET} entries it
 * also sums them in buckets of about equal size by version. Entries sharing a version (only a
 * faulty writer makes them) fall in one bucket, so bounds stay strictly ascending.
 */
export function summarizeHeldBeyond(entries: readonly MapEntry[]): HeldBeyond | undefined {
  const count = Math.min(MAX_BEYOND_BUCKETS, Math.ceil(entries.length / ENTRIES_PER_BUCKET));
  if (count < 2) {
    const total = new HeldBeyondSum();
    for (const entry of entries) total.add(entry);
    return total.summary();
  }
  const sorted = [...entries].sort(compareTimestamps);
  const newest = sorted[sorted.length - 1] as MapEntry;
  const bounds: Timestamp[] = [];
  for (let b = 1; b < count; b++) {
    const last = sorted[Math.floor((b * sorted.length) / count) - 1] as MapEntry;
    const previous = bounds[bounds.length - 1];
    if (
      compareTimestamps(last, newest) < 0 &&
      (previous === undefined || compareTimestamps(last, previous) > 0)
    )
      bounds.push({ wall: last.wall, counter: last.counter });
  }
  // One sum per listed bucket and one for the implied last: each entry is hashed once.
  const sums = [...bounds, newest].map(() => new HeldBeyondSum());
  let at = 0;
  for (const entry of sorted) {
    while (at < bounds.length && compareTimestamps(entry, bounds[at] as Timestamp) > 0) at++;
    (sums[at] as HeldBeyondSum).add(entry);
  }
  const totals = sums.map((sum) => sum.totals());
  const max = { wall: newest.wall, counter: newest.counter };
  const summary = {
    max,
    count: entries.length,
    sum1: totals.reduce((sum, part) => (sum + part.sum1) >>> 0, 0),
    sum2: totals.reduce((sum, part) => (sum + part.sum2) >>> 0, 0),
  };
  if (bounds.length === 0) return summary;
  return { ...summary, buckets: bounds.map((upTo, i) => ({ upTo, ...(totals[i] as EntrySum) })) };
}

/**
 * Of `span` (our entries of one writer beyond a peer's synced clock and at most `beyond.max`,
 * in version order), those the peer may lack by its summary `beyond`: every entry of each
 * bucket whose sum differs from ours over the same versions (all of `span` when the summary has
 * no buckets and differs), none where they match. An entry the peer lacks is always returned,
 * up to the fingerprints' 2^-64 luck.
 */
export function unmatchedSpan(span: readonly MapEntry[], beyond: HeldBeyond): MapEntry[] {
  const buckets = beyond.buckets ?? [];
  // The last bucket, implied: what the totals leave after the listed ones.
  let rest: EntrySum = beyond;
  for (const bucket of buckets) {
    rest = {
      count: rest.count - bucket.count,
      sum1: (rest.sum1 - bucket.sum1) >>> 0,
      sum2: (rest.sum2 - bucket.sum2) >>> 0,
    };
  }
  const unmatched: MapEntry[] = [];
  let start = 0;
  for (let b = 0; b <= buckets.length; b++) {
    const upTo = buckets[b]?.upTo;
    const sum = new HeldBeyondSum();
    let end = start;
    while (end < span.length && (upTo === undefined || compareTimestamps(span[end] as MapEntry, upTo) <= 0)) {
      sum.add(span[end] as MapEntry);
      end++;
    }
    if (!sum.matches(buckets[b] ?? rest))
      for (let i = start; i < end; i++) unmatched.push(span[i] as MapEntry);
    start = end;
  }
  return unmatched;
}

/** Two independent 32-bit FNV-1a style hashes of (key, wall, counter). */
function entryHash(entry: MapEntry): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const mix = (code: number) => {
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995) ^ (b >>> 15);
  };
  for (let i = 0; i < entry.key.length; i++) mix(entry.key.charCodeAt(i));
  mix(0xffff);
  mix((entry.wall % 0x1_0000_0000) >>> 0);
  mix(Math.floor(entry.wall / 0x1_0000_0000));
  mix(entry.counter);
  // A final avalanche so sums of nearby inputs do not correlate.
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) >>> 0;
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35) >>> 0;
  return [a, b];
}

/**
 * Whether a peer whose digest gives `theirs` for a writer (its synced clock and what it holds
 * beyond it) may hold entries of that writer we lack, given our synced clock `ours` and our own
 * digest clock for the writer. False only when it cannot: nothing of theirs lies beyond our
 * clock, or both clocks are equal and both sides summarize the same entries beyond them.
 */
export function mayHoldUnseen(theirs: MapClock, ours: Timestamp, own: MapClock | undefined): boolean {
  const beyond = theirs.beyond;
  if (beyond === undefined || compareTimestamps(beyond.max, ours) <= 0) return false;
  const same =
    compareTimestamps(theirs, ours) === 0 &&
    own?.beyond !== undefined &&
    own.beyond.count === beyond.count &&
    own.beyond.sum1 === beyond.sum1 &&
    own.beyond.sum2 === beyond.sum2;
  return !same;
}
