import type { MapEntry } from '../crdt/lww-map.js';

/**
 * The change cursor of every entry a map holds: where `watch({ since })` resumes. A log of
 * (entry, cursor) pairs in two flat arrays rather than a `Map` by key: a write then costs two
 * appends instead of a hash-table insert, and the log about half the memory (a map holds an
 * entry per key, so this is paid per key held).
 *
 * An entry that left the map (replaced or purged) stays in the log, and `isLive` tells it
 * apart, until dead ones outnumber live ones; the log is then compacted (amortized constant
 * per write, as in WriterIndex). Cursors arrive in increasing order except while loading
 * (records come in key order): the log is sorted once, when next read.
 */
export class ChangeCursors {
  #entries: MapEntry[] = [];
  #cursors: number[] = [];
  #ordered = true;
  /** Log length at which to count the entries held again (counting costs a call per record). */
  #nextCheck = 1024;
  readonly #isLive: (entry: MapEntry) => boolean;
  readonly #held: () => number;

  /**
   * @param isLive true while `entry` is still the map's entry for its key.
   * @param held how many entries the map holds (tombstones included): the compaction measure.
   */
  constructor(isLive: (entry: MapEntry) => boolean, held: () => number) {
    this.#isLive = isLive;
    this.#held = held;
  }

  /** Notes that `entry` became its key's entry at `cursor`. */
  record(entry: MapEntry, cursor: number): void {
    const last = this.#cursors[this.#cursors.length - 1];
    if (last !== undefined && cursor < last) this.#ordered = false;
    this.#entries.push(entry);
    this.#cursors.push(cursor);
    if (this.#entries.length <= this.#nextCheck) return;
    // Counted again only once the log outgrows the bound of the last count: meanwhile it stays
    // within twice what was held then (purges may have dropped some since; the next count sees).
    if (this.#entries.length > 2 * this.#held() + 1024) this.#compact();
    this.#nextCheck = 2 * this.#held() + 1024;
  }

  /**
   * The entries the map still holds whose key changed after `since`, in change order, each key
   * once with its latest cursor.
   */
  since(since: number): Array<[MapEntry, number]> {
    this.#order();
    const found: Array<[MapEntry, number]> = [];
    const seen = new Set<string>();
    // From the newest: a key's latest cursor is met before any older one.
    for (let i = this.#cursors.length - 1; i >= 0; i--) {
      const cursor = this.#cursors[i] as number;
      if (cursor <= since) break;
      const entry = this.#entries[i] as MapEntry;
      if (seen.has(entry.key) || !this.#isLive(entry)) continue;
      seen.add(entry.key);
      found.push([entry, cursor]);
    }
    return found.reverse();
  }

  #compact(): void {
    const entries: MapEntry[] = [];
    const cursors: number[] = [];
    for (let i = 0; i < this.#entries.length; i++) {
      const entry = this.#entries[i] as MapEntry;
      if (!this.#isLive(entry)) continue;
      entries.push(entry);
      cursors.push(this.#cursors[i] as number);
    }
    this.#entries = entries;
    this.#cursors = cursors;
  }

  #order(): void {
    if (this.#ordered) return;
    const cursors = this.#cursors;
    const order = cursors.map((_, i) => i).sort((a, b) => (cursors[a] as number) - (cursors[b] as number));
    this.#entries = order.map((i) => this.#entries[i] as MapEntry);
    this.#cursors = order.map((i) => cursors[i] as number);
    this.#ordered = true;
  }
}
