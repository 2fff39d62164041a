import { compareTimestamps, type Timestamp } from './timestamp.js';

/** Index of the first element of `list` (in version order) newer than `stamp`: a binary search. */
export function firstAfter(list: readonly Timestamp[], stamp: Timestamp): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareTimestamps(list[middle] as Timestamp, stamp) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
