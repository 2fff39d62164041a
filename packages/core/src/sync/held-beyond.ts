import type { Timestamp } from '../clock/timestamp.js';
import { compareTimestamps } from '../clock/timestamp.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { HeldBeyond, MapClock } from '../protocol/sync-messages.js';

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

  /** The summary, or undefined when nothing was added. */
  summary(): HeldBeyond | undefined {
    if (this.#max === undefined) return undefined;
    return { max: this.#max, count: this.#count, sum1: this.#sum1, sum2: this.#sum2 };
  }

  /** True when this sum covers exactly the entries `other` summarizes (up to 2^-64 luck). */
  matches(other: HeldBeyond): boolean {
    return this.#count === other.count && this.#sum1 === other.sum1 && this.#sum2 === other.sum2;
  }
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
