import { compareVersions, type Version } from '../clock/timestamp.js';
import type { NodeId } from '../ids/node-id.js';
import type { Value } from './value.js';
import { compareValuesForTieBreak } from './value-order.js';

/**
 * One key's state in an {@link LwwMap}: its value (or `undefined` for a tombstone) and the
 * version that wrote it. Entries are immutable.
 */
export interface MapEntry extends Version {
  readonly key: string;
  /** `undefined` marks a tombstone: the key was deleted at this version. */
  readonly value: Value | undefined;
}

/**
 * A {@link MapEntry} as a replica holds it, with the one field that is the replica's own: the
 * change cursor at which it became its key's entry here (0 until then), what
 * `watch({ since })` resumes from. Kept on the entry rather than in a log beside the map: a
 * log cost two array appends per write, about a tenth of a transaction's time.
 */
export interface HeldMapEntry extends MapEntry {
  cursor: number;
}

/**
 * A {@link HeldMapEntry} (cursor 0). Every entry a replica holds is made here, whether written
 * locally, decoded from a peer or loaded from storage: objects built the same way share one
 * hidden class, so the code that reads entries (merge, indexes, plans) stays monomorphic.
 * Entries built as literals in three field orders made merging after local writes a fifth
 * slower.
 */
export function mapEntry(
  key: string,
  value: Value | undefined,
  wall: number,
  counter: number,
  writer: NodeId,
): HeldMapEntry {
  return { key, value, wall, counter, writer, cursor: 0 };
}

/** What changed when an entry won a merge. */
export interface MapChange {
  readonly key: string;
  /** The new value, `undefined` when deleted. */
  readonly value: Value | undefined;
  readonly deleted: boolean;
  /** The value visible before this change (`undefined` when absent or deleted). */
  readonly previous: Value | undefined;
  readonly writer: NodeId;
  /** True when the change was written on this replica, false when merged from a peer. */
  readonly local: boolean;
  readonly entry: MapEntry;
  /** The entry this change replaced (the loser of the merge), if the key had one. */
  readonly replaced: MapEntry | undefined;
}

/**
 * Where an {@link LwwMap} holds its entries: a `Map` (the default, in memory), or a table kept
 * in the store (ADR 0050). `get` after `set` must return the entry set; `values` yields every
 * entry once.
 */
export interface EntryTable {
  get(key: string): MapEntry | undefined;
  set(key: string, entry: MapEntry): unknown;
  delete(key: string): unknown;
  values(): IterableIterator<MapEntry>;
}

/** Keys an {@link LwwMap} starts with, when its table already holds entries. */
export interface EntryCounts {
  /** Keys with a value. */
  readonly live: number;
  /** Keys held, tombstones included. */
  readonly total: number;
}

/**
 * A last-writer-wins map CRDT (the state-based LWW-element map of Shapiro et al. 2011, with
 * HLC versions). Each key keeps the entry with the greatest (wall, counter, writer) version;
 * deletes are tombstones with a version, so a delete and a concurrent set resolve the same way
 * everywhere.
 *
 * Guarantees: {@link LwwMap.apply} is commutative, associative and idempotent, so replicas that
 * have applied the same set of entries, in any order and with any duplication, hold the same
 * state. Two different values under one identical version (only possible from a faulty or
 * malicious writer) still resolve deterministically, by comparing the values.
 *
 * Keys are plain strings held in a `Map`: `__proto__` and `constructor` are ordinary keys.
 */
export class LwwMap {
  readonly #entries: EntryTable;
  readonly #listeners = new Set<(change: MapChange) => void>();
  readonly #observe: ((entry: MapEntry, replaced: MapEntry | undefined) => void) | undefined;
  #live: number;
  #total: number;

  /**
   * @param observe called first, synchronously, with every entry that wins and the entry it
   * replaced: the owner's indexes follow the map without a {@link MapChange} per write.
   * @param table where entries live (a `Map` by default), and `counts` what it holds already.
   */
  constructor(
    observe?: (entry: MapEntry, replaced: MapEntry | undefined) => void,
    table: EntryTable = new Map(),
    counts: EntryCounts = { live: 0, total: 0 },
  ) {
    this.#observe = observe;
    this.#entries = table;
    this.#live = counts.live;
    this.#total = counts.total;
  }

  /** Number of keys with a value (tombstones excluded). */
  get size(): number {
    return this.#live;
  }

  /** Number of tombstones held. */
  get tombstones(): number {
    return this.#total - this.#live;
  }

  /** The value of `key`, or `undefined` when absent or deleted. */
  get(key: string): Value | undefined {
    return this.#entries.get(key)?.value;
  }

  has(key: string): boolean {
    return this.#entries.get(key)?.value !== undefined;
  }

  /** The entry of `key`, tombstones included. */
  entry(key: string): MapEntry | undefined {
    return this.#entries.get(key);
  }

  /**
   * Live keys: in memory, in insertion order of their first write on this replica; in the
   * store, in its order (shorter UTF-8 first, then by bytes), then keys not yet durable.
   */
  *keys(): IterableIterator<string> {
    for (const entry of this.#entries.values()) if (entry.value !== undefined) yield entry.key;
  }

  /** Live `[key, value]` pairs, in the order of {@link LwwMap.keys}. */
  *entries(): IterableIterator<[string, Value]> {
    for (const entry of this.#entries.values()) if (entry.value !== undefined) yield [entry.key, entry.value];
  }

  /** Every entry, tombstones included: the state to replicate. */
  allEntries(): IterableIterator<MapEntry> {
    return this.#entries.values();
  }

  /**
   * Merges one entry. Returns true when it won (and listeners were told), false when the
   * replica already held that entry or a greater one.
   */
  apply(entry: MapEntry, local = false): boolean {
    const current = this.#entries.get(entry.key);
    if (current !== undefined && !wins(entry, current)) return false;
    this.#entries.set(entry.key, entry);
    if (current === undefined) this.#total++;
    const wasLive = current !== undefined && current.value !== undefined;
    const isLive = entry.value !== undefined;
    this.#live += Number(isLive) - Number(wasLive);
    this.#observe?.(entry, current);
    if (this.#listeners.size > 0) {
      const change: MapChange = {
        key: entry.key,
        value: entry.value,
        deleted: !isLive,
        previous: current?.value,
        writer: entry.writer,
        local,
        entry,
        replaced: current,
      };
      for (const listener of this.#listeners) listener(change);
    }
    return true;
  }

  /** Merges many entries; returns how many won. */
  merge(entries: Iterable<MapEntry>): number {
    let applied = 0;
    for (const entry of entries) if (this.apply(entry)) applied++;
    return applied;
  }

  /**
   * Forgets a key's entry for good, without a change event: compaction of old tombstones, or a
   * stale replica dropping what it will fetch again. Returns true when something was removed.
   */
  purge(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    if (entry.value !== undefined) this.#live--;
    this.#total--;
    this.#entries.delete(key);
    return true;
  }

  /** Calls `listener` for every entry that wins from now on; returns an unsubscribe function. */
  onChange(listener: (change: MapChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function wins(candidate: MapEntry, current: MapEntry): boolean {
  const order = compareVersions(candidate, current);
  if (order !== 0) return order > 0;
  return compareValuesForTieBreak(candidate.value, current.value) > 0;
}
