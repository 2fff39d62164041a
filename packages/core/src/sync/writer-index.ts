import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';

/**
 * One writer's entries, in version order once `sorted`; some may have been replaced since
 * (`dead`).
 */
interface WriterEntries {
  list: MapEntry[];
  dead: number;
  /** False after an entry was appended out of version order: sorted before the next read. */
  sorted: boolean;
}

/**
 * A map's entries by writer and version, as a plan walks them: {@link WriterIndex} in memory,
 * or records in the store (ADR 0050).
 */
export interface EntryIndex {
  /** Writers that have had entries here. */
  writers(): Iterable<NodeId>;
  /** Indexes an entry the map now holds. */
  add(entry: MapEntry): void;
  /** Notes that `entry` left the map (replaced or purged). */
  removed(entry: MapEntry): void;
  /** `writer`'s live entries newer than `after` (all when undefined), in version order. */
  newerThan(writer: NodeId, after: Timestamp | undefined): Iterable<MapEntry>;
}

/**
 * A map's entries by writer, each writer's in version order, kept as entries are applied, so
 * "what does a peer at clock c lack of writer w" costs the entries returned plus a binary
 * search, not a scan of the whole map per digest (at 1M keys a scan took ~80 ms, every round).
 *
 * Entries that lose their key (replaced, purged) are not removed at once: `isLive` filters them
 * as they are met, and a writer's list is compacted when most of it is dead. Adding is always
 * an append; a list that got an entry out of version order is sorted once, when next read. A
 * writer's entries mostly arrive in order (own writes, deltas sorted by writer and version),
 * but a channel loaded from storage comes in key order, and a peer may send any order: inserting
 * each in place made loading 200k entries take 22 s (quadratic), and let a peer make it so.
 */
export class WriterIndex implements EntryIndex {
  readonly #byWriter = new Map<NodeId, WriterEntries>();
  readonly #isLive: (entry: MapEntry) => boolean;
  /**
   * The writer last added to, and its entries: entries come in runs of one writer (own
   * writes, deltas sorted by writer), so most adds skip the lookup.
   */
  #lastWriter: NodeId | undefined;
  #lastEntries: WriterEntries | undefined;

  /** `isLive(entry)`: true while `entry` is still the map's entry for its key. */
  constructor(isLive: (entry: MapEntry) => boolean) {
    this.#isLive = isLive;
  }

  /** Writers that have had entries here. */
  writers(): IterableIterator<NodeId> {
    return this.#byWriter.keys();
  }

  /** Indexes an entry the map now holds. */
  add(entry: MapEntry): void {
    const writer = entry.writer;
    let entries = writer === this.#lastWriter ? this.#lastEntries : this.#byWriter.get(writer);
    if (entries === undefined) {
      entries = { list: [], dead: 0, sorted: true };
      this.#byWriter.set(writer, entries);
    }
    this.#lastWriter = writer;
    this.#lastEntries = entries;
    const list = entries.list;
    const last = list[list.length - 1];
    if (last !== undefined && compareTimestamps(entry, last) <= 0) entries.sorted = false;
    list.push(entry);
  }

  /** Notes that `entry` left the map; compacts its writer's list when mostly dead. */
  removed({ writer }: MapEntry): void {
    const entries = this.#byWriter.get(writer);
    if (entries === undefined) return;
    entries.dead++;
    if (entries.dead > 1024 && entries.dead * 2 > entries.list.length) {
      entries.list = entries.list.filter(this.#isLive);
      entries.dead = 0;
      if (entries.list.length === 0) {
        this.#byWriter.delete(writer);
        if (writer === this.#lastWriter) this.#lastEntries = this.#lastWriter = undefined;
      }
    }
  }

  /** `writer`'s live entries newer than `after` (all when undefined), in version order. */
  *newerThan(writer: NodeId, after: Timestamp | undefined): Generator<MapEntry> {
    const entries = this.#byWriter.get(writer);
    if (entries === undefined) return;
    if (!entries.sorted) {
      // TimSort: linear on a list that is a few runs in order, n log n at worst.
      entries.list.sort(compareTimestamps);
      entries.sorted = true;
    }
    const list = entries.list;
    // With no entry of this writer gone from the map, every one listed is live: the check is a
    // lookup in the map per entry, most of the cost of planning a newcomer's answer.
    const mayBeDead = entries.dead > 0;
    for (let i = after === undefined ? 0 : firstAfter(list, after); i < list.length; i++) {
      const entry = list[i] as MapEntry;
      if (!mayBeDead || this.#isLive(entry)) yield entry;
    }
  }
}

/** Index of the first entry of `list` (in version order) newer than `stamp`. */
function firstAfter(list: readonly MapEntry[], stamp: Timestamp): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareTimestamps(list[mid] as MapEntry, stamp) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
