import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import type { MapEntry } from '../crdt/lww-map.js';

/**
 * One writer's entries held beyond its synced clock, by key. Raising the clock drops those it
 * now covers. Entries usually arrive in version order (a node's own writes awaiting
 * durability, a delta sorted by writer and version): while they do, they are also queued in
 * that order and a raise drops a prefix of the queue, a constant cost per entry, where a scan
 * of the map from its start would grow quadratic over a burst (a JS Map iterates over the
 * holes its deletions leave). Out of order, a raise scans everything once.
 */
export class BeyondEntries {
  readonly #byKey = new Map<string, MapEntry>();
  /** Entries in tracking order, from `#head`, while that is version order; null once not. */
  #queue: MapEntry[] | null = [];
  #head = 0;
  /** The newest entry ever tracked (the order test compares with it, not with the queue). */
  #newest: Timestamp | undefined;

  get size(): number {
    return this.#byKey.size;
  }

  values(): IterableIterator<MapEntry> {
    return this.#byKey.values();
  }

  /** Holds `entry` (replacing any entry for its key). */
  track(entry: MapEntry): void {
    this.#byKey.set(entry.key, entry);
    if (this.#queue !== null && (this.#newest === undefined || compareTimestamps(entry, this.#newest) > 0)) {
      this.#queue.push(entry);
    } else this.#queue = null;
    // Entries are immutable: the newest one is kept as the mark, not copied.
    if (this.#newest === undefined || compareTimestamps(entry, this.#newest) > 0) this.#newest = entry;
  }

  /** Stops holding `key`'s entry (it was replaced or purged). */
  remove(key: string): void {
    this.#byKey.delete(key);
    const queue = this.#queue;
    // Entries replaced while queued stay there until a raise passes them: keep that bounded.
    if (queue !== null && queue.length - this.#head > 2 * this.#byKey.size + 1024) {
      this.#queue = queue.slice(this.#head).filter((entry) => this.#byKey.get(entry.key) === entry);
      this.#head = 0;
    }
  }

  /** Drops every entry at or below `stamp`. */
  raise(stamp: Timestamp): void {
    const queue = this.#queue;
    if (queue === null) {
      for (const [key, entry] of this.#byKey)
        if (compareTimestamps(entry, stamp) <= 0) this.#byKey.delete(key);
      return;
    }
    while (this.#head < queue.length) {
      const entry = queue[this.#head] as MapEntry;
      if (compareTimestamps(entry, stamp) > 0) break;
      // A later entry for the key may have replaced this one: only the held one is dropped.
      if (this.#byKey.get(entry.key) === entry) this.#byKey.delete(entry.key);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
