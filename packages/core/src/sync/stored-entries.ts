import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import {
  type EntryCounts,
  type EntryTable,
  type HeldMapEntry,
  type MapEntry,
  mapEntry,
} from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { corruptChannel } from '../persistence/corrupt-channel.js';
import { decodeMapCountRecord, decodeMapRecord, encodeMapCountRecord } from '../persistence/records.js';
import {
  channelPrefix,
  MapEntryKeys,
  MapIndexKeys,
  mapCountKey,
  prefixRange,
  RecordKind,
} from '../persistence/storage-keys.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import type { EntryIndex } from './writer-index.js';

/** The value of every index record: what it says is in its key. */
const NO_BYTES = new Uint8Array(0);

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
  readonly indexed: MapEntry[];
}

/**
 * One map's entries kept in the store rather than the heap (ADR 0050): both the table an
 * {@link LwwMap} reads and writes and the index by writer and version a plan walks.
 *
 * The store holds one record per key and one index record per entry (writer, version → key),
 * written in the same batch as the entry, and a count record. Memory holds only the writers
 * and what is not durable yet: entries set or purged since (the *overlay*, which wins over the
 * store) and entries whose index record is not written yet. Each is dropped when its batch is
 * durable, so memory stays bounded by the writes in flight, not by the map.
 *
 * Guarantees: `get` returns what was last `set` (or nothing after `delete`), durable or not;
 * `newerThan` returns exactly the live entries of a writer above a version, in version order,
 * each once; after a crash the store holds entry, index and count records of the same batches
 * (they are written together), so a reopened map agrees with itself.
 */
export class StoredEntries implements EntryTable, EntryIndex {
  /** What the store held on open. */
  readonly counts: EntryCounts;
  readonly #store: SyncReadStore;
  readonly #writes: WriteQueue;
  readonly #entryKeys: MapEntryKeys;
  readonly #entryPrefix: Uint8Array;
  readonly #indexKeys: MapIndexKeys;
  readonly #countKey: Uint8Array;
  readonly #channel: string;
  readonly #overlay = new Map<string, MapEntry | null>();
  readonly #unindexed = new Map<NodeId, Set<MapEntry>>();
  readonly #writers = new Set<NodeId>();
  #batch: Promise<void> | undefined;
  #unsettled: Unsettled = { keys: new Map(), indexed: [] };
  #countsNow: () => EntryCounts = () => this.counts;

  /** Opens map `map` of `channel` in `store`: reads its count record and its writers. */
  constructor(store: SyncReadStore, writes: WriteQueue, channel: string, map: string) {
    this.#store = store;
    this.#writes = writes;
    this.#channel = channel;
    this.#entryKeys = new MapEntryKeys(channel, map);
    this.#entryPrefix = channelPrefix(RecordKind.MapEntry, channel, map);
    this.#indexKeys = new MapIndexKeys(channel, map);
    this.#countKey = mapCountKey(channel, map);
    const counted = store.getSync(this.#countKey);
    const counts =
      counted === undefined
        ? { ok: true as const, value: { live: 0, total: 0 } }
        : decodeMapCountRecord(counted);
    if (!counts.ok) throw corruptChannel(channel, counts.error);
    this.counts = counts.value;
    // One seek per writer: the first index record after the previous writer's.
    const end = prefixRange(this.#indexKeys.prefix).end;
    let start = this.#indexKeys.prefix;
    for (;;) {
      const [first] = [...store.scanSync({ start, end, limit: 1 })];
      if (first === undefined) break;
      const writer = this.#indexKeys.writerOf(first[0]);
      if (writer === undefined) throw corruptChannel(channel, 'an index record without a writer');
      this.#writers.add(writer as NodeId);
      start = prefixRange(this.#indexKeys.writer(writer)).end;
    }
  }

  /** Where the count record's figures come from (the map, which keeps them). */
  countFrom(counts: () => EntryCounts): void {
    this.#countsNow = counts;
  }

  /** The newest version of any entry held (for the node's clock floor); zero when empty. */
  newest(): Timestamp {
    let newest: Timestamp = { wall: 0, counter: 0 };
    for (const writer of this.#writers) {
      const path = this.#indexKeys.writer(writer);
      for (const [key] of this.#store.scanSync({ ...prefixRange(path), reverse: true, limit: 1 })) {
        const parsed = MapIndexKeys.parse(key, path.length);
        if (parsed === undefined) throw corruptChannel(this.#channel, 'an index record that does not parse');
        if (compareTimestamps(parsed.stamp, newest) > 0) newest = parsed.stamp;
      }
    }
    return newest;
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

  // EntryIndex

  writers(): Iterable<NodeId> {
    return this.#writers;
  }

  add(entry: MapEntry): void {
    this.#writers.add(entry.writer);
    const key = this.#indexKeys.key(entry.writer, entry, entry.key);
    this.#writes.append().add({ type: 'put', key, value: NO_BYTES });
    let unindexed = this.#unindexed.get(entry.writer);
    if (unindexed === undefined) {
      unindexed = new Set();
      this.#unindexed.set(entry.writer, unindexed);
    }
    unindexed.add(entry);
    this.#group().indexed.push(entry);
    this.#writeCounts();
  }

  removed(entry: MapEntry): void {
    this.#writes.append().add({ type: 'delete', key: this.#indexKeys.key(entry.writer, entry, entry.key) });
    this.#unindexed.get(entry.writer)?.delete(entry);
    this.#writeCounts();
  }

  /**
   * Read lazily: the index records in version order, merged with the entries whose records are
   * not durable yet, so a plan that stops early reads no further.
   */
  *newerThan(writer: NodeId, after: Timestamp | undefined): Generator<MapEntry> {
    const pending: MapEntry[] = [];
    for (const entry of this.#unindexed.get(writer) ?? [])
      if (after === undefined || compareTimestamps(entry, after) > 0) pending.push(entry);
    pending.sort(compareTimestamps);
    let next = 0;
    const path = this.#indexKeys.writer(writer);
    const range = {
      start: after === undefined ? path : this.#indexKeys.after(writer, after),
      end: prefixRange(path).end,
    };
    for (const [indexKey] of this.#store.scanSync(range)) {
      // Skipping a record would let the plan vouch for entries it never sent: refuse instead.
      const parsed = MapIndexKeys.parse(indexKey, path.length);
      if (parsed === undefined) throw corruptChannel(this.#channel, 'an index record that does not parse');
      const { stamp } = parsed;
      for (; next < pending.length && compareTimestamps(pending[next] as MapEntry, stamp) < 0; next++)
        if (this.#isLive(pending[next] as MapEntry)) yield pending[next] as MapEntry;
      const entry = this.get(parsed.key);
      if (entry?.writer !== writer || entry.wall !== stamp.wall || entry.counter !== stamp.counter) continue;
      // Landed but not settled yet: the same entry is still among the pending, at this stamp.
      if (pending[next] === entry) next++;
      yield entry;
    }
    for (; next < pending.length; next++)
      if (this.#isLive(pending[next] as MapEntry)) yield pending[next] as MapEntry;
  }

  /** True while `entry` is its key's entry. */
  #isLive(entry: MapEntry): boolean {
    return this.get(entry.key) === entry;
  }

  /** The changes of the batch this turn's writes go into; settled once it is durable. */
  #group(): Unsettled {
    const batch = this.#writes.queued;
    if (batch !== this.#batch) {
      this.#batch = batch;
      const group: Unsettled = { keys: new Map(), indexed: [] };
      this.#unsettled = group;
      // Never rejects: a refused batch lands when its operations are written at last.
      void this.#writes.landed(batch).then(() => this.#settle(group));
    }
    return this.#unsettled;
  }

  #settle(group: Unsettled): void {
    for (const [key, held] of group.keys) if (this.#overlay.get(key) === held) this.#overlay.delete(key);
    for (const entry of group.indexed) this.#unindexed.get(entry.writer)?.delete(entry);
  }

  #writeCounts(): void {
    const key = this.#countKey;
    this.#writes.append().add({ type: 'put', key, value: encodeMapCountRecord(this.#countsNow()) });
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
