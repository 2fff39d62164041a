import {
  type EntryCounts,
  type EntryTable,
  type HeldMapEntry,
  type MapEntry,
  mapEntry,
} from '../crdt/lww-map.js';
import { corruptChannel } from '../persistence/corrupt-channel.js';
import { decodeMapCountRecord, decodeMapRecord, encodeMapCountRecord } from '../persistence/records.js';
import {
  channelPrefix,
  MapEntryKeys,
  mapCountKey,
  prefixRange,
  RecordKind,
} from '../persistence/storage-keys.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import type { KeyValueStore } from '../ports/key-value-store.js';

/** A store that reads synchronously: what a map kept in the store needs (ADR 0050). */
export type SyncReadStore = KeyValueStore & Required<Pick<KeyValueStore, 'getSync' | 'scanSync'>>;

/** True when `store` reads synchronously, so maps may be kept in it. */
export function readsSynchronously(store: KeyValueStore): store is SyncReadStore {
  return typeof store.getSync === 'function' && typeof store.scanSync === 'function';
}

/** What one storage batch changed, settled together once it is durable. */
interface Unsettled {
  /** Per key, what the overlay was set to (`null`: purged). */
  readonly keys: Map<string, MapEntry | null>;
}

/**
 * One map's entries kept in the store rather than the heap (ADR 0050): the table an
 * {@link LwwMap} reads and writes.
 *
 * The store holds one record per key and a count record. Memory holds only what is not durable
 * yet: entries set or purged since (the *overlay*, which wins over the store), each dropped
 * when its batch is durable, so memory stays bounded by the writes in flight, not by the map.
 * (A plan reads its writers' signed sets, ADR 0058, which a replica keeps in memory.)
 *
 * Guarantees: `get` returns what was last `set` (or nothing after `delete`), durable or not;
 * after a crash the store holds entry and count records of the same batches (they are written
 * together), so a reopened map agrees with itself.
 */
export class StoredEntries implements EntryTable {
  /** What the store held on open. */
  readonly counts: EntryCounts;
  readonly #store: SyncReadStore;
  readonly #writes: WriteQueue;
  readonly #entryKeys: MapEntryKeys;
  readonly #entryPrefix: Uint8Array;
  readonly #countKey: Uint8Array;
  readonly #channel: string;
  readonly #overlay = new Map<string, MapEntry | null>();
  #batch: Promise<void> | undefined;
  #unsettled: Unsettled = { keys: new Map() };
  #countsNow: () => EntryCounts = () => this.counts;

  /** Opens map `map` of `channel` in `store`: reads its count record. */
  constructor(store: SyncReadStore, writes: WriteQueue, channel: string, map: string) {
    this.#store = store;
    this.#writes = writes;
    this.#channel = channel;
    this.#entryKeys = new MapEntryKeys(channel, map);
    this.#entryPrefix = channelPrefix(RecordKind.MapEntry, channel, map);
    this.#countKey = mapCountKey(channel, map);
    const counted = store.getSync(this.#countKey);
    const counts =
      counted === undefined
        ? { ok: true as const, value: { live: 0, total: 0 } }
        : decodeMapCountRecord(counted);
    if (!counts.ok) throw corruptChannel(channel, counts.error);
    this.counts = counts.value;
  }

  /** Where the count record's figures come from (the map, which keeps them). */
  countFrom(counts: () => EntryCounts): void {
    this.#countsNow = counts;
  }

  // EntryTable

  get(key: string): MapEntry | undefined {
    const held = this.#overlay.get(key);
    if (held !== undefined) return held ?? undefined;
    const keyBytes = this.#entryKeys.key(key);
    const stored = this.#store.getSync(keyBytes);
    return stored === undefined ? undefined : this.#decode(keyBytes, stored);
  }

  set(key: string, entry: MapEntry): void {
    this.#overlay.set(key, entry);
    this.#group().keys.set(key, entry);
  }

  delete(key: string): void {
    this.#overlay.set(key, null);
    this.#group().keys.set(key, null);
  }

  /** Every entry: the store's in key order (the overlay's in their place), then keys not durable yet. */
  *values(): IterableIterator<MapEntry> {
    const met = new Set<string>();
    for (const [key, value] of this.#store.scanSync(prefixRange(this.#entryPrefix))) {
      const entry = this.#decode(key, value);
      const held = this.#overlay.get(entry.key);
      if (held === undefined) yield entry;
      else {
        met.add(entry.key);
        if (held !== null) yield held;
      }
    }
    for (const [key, held] of this.#overlay) if (held !== null && !met.has(key)) yield held;
  }

  /** The map's entries changed: its count record is written again with the batch. */
  changed(): void {
    const key = this.#countKey;
    this.#writes.append().add({ type: 'put', key, value: encodeMapCountRecord(this.#countsNow()) });
  }

  /** The changes of the batch this turn's writes go into; settled once it is durable. */
  #group(): Unsettled {
    const batch = this.#writes.queued;
    if (batch !== this.#batch) {
      this.#batch = batch;
      const group: Unsettled = { keys: new Map() };
      this.#unsettled = group;
      // Never rejects: a refused batch lands when its operations are written at last.
      void this.#writes.landed(batch).then(() => this.#settle(group));
    }
    return this.#unsettled;
  }

  #settle(group: Unsettled): void {
    for (const [key, held] of group.keys) if (this.#overlay.get(key) === held) this.#overlay.delete(key);
  }

  #decode(key: Uint8Array, value: Uint8Array): HeldMapEntry {
    const record = decodeMapRecord(key, value);
    if (!record.ok) throw corruptChannel(this.#channel, record.error);
    const { key: entryKey, value: entryValue, wall, counter, writer, changeSeq } = record.value;
    const entry = mapEntry(entryKey, entryValue, wall, counter, writer);
    entry.cursor = changeSeq;
    return entry;
  }
}
