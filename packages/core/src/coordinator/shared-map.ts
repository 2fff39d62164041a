import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import { decodeValue } from '../codec/decode-value.js';
import { encodeValue } from '../codec/encode-value.js';
import { deepFreeze } from '../crdt/deep-freeze.js';
import type { MapChange, MapEntry } from '../crdt/lww-map.js';
import type { Value } from '../crdt/value.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { encodeMapRecord, encodeTimestampRecord } from '../persistence/records.js';
import { MapEntryKeys, mapClockKey } from '../persistence/storage-keys.js';
import type { RangeClaim } from '../protocol/sync-messages.js';
import { MapReplica } from '../sync/map-replica.js';
import { utf8Length } from '../wire/utf8-length.js';
import { AsyncQueue } from './async-queue.js';
import type { NodeContext } from './node-context.js';

/** One change seen by {@link SharedMap.watch}. */
export interface MapWatchEvent {
  readonly key: string;
  /** The new value; `undefined` when the key was deleted. */
  readonly value: Value | undefined;
  readonly deleted: boolean;
  /** Who wrote it. */
  readonly writer: NodeId;
  /** True when written on this node. */
  readonly local: boolean;
  /** The write's hybrid logical timestamp (its place in the last-writer-wins order). */
  readonly stamp: Timestamp;
  /** Pass as `since` to a later `watch()` to resume right after this change. */
  readonly cursor: number;
}

/** Options of {@link SharedMap.watch}. */
export interface WatchOptions {
  /** Ends the iteration when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Resume from a cursor: first yields the current state of every key changed after it (in
   * change order; a key changed several times shows once, with its latest value), then live
   * changes. `0` replays the whole map. Omit to see only changes from now on.
   */
  readonly since?: number;
}

/** Bookkeeping of one map inside a channel. Internal. */
export class MapObject {
  readonly replica = new MapReplica();
  readonly #changeSeqs = new Map<string, number>();
  readonly #watchers = new Set<AsyncQueue<MapWatchEvent>>();
  readonly #context: NodeContext;
  readonly #channel: string;
  readonly #keys: MapEntryKeys;
  readonly #countKeys: () => number;
  #localWrite: Promise<void> = Promise.resolve();
  /** True while reloading persisted entries: they are neither re-persisted nor announced. */
  #loading = false;
  /** The encoding of the value a local write is applying, so it is not encoded twice. */
  #localBytes: Uint8Array | undefined;

  constructor(
    context: NodeContext,
    channel: string,
    readonly name: string,
    countKeys: () => number,
  ) {
    this.#context = context;
    this.#channel = channel;
    this.#keys = new MapEntryKeys(channel, name);
    this.#countKeys = countKeys;
    this.replica.map.onChange((change) => this.#changed(change));
  }

  /** Loads a persisted entry (no persistence, no events). */
  load(entry: MapEntry, changeSeq: number): void {
    this.#loading = true;
    this.replica.map.apply(entry);
    this.#loading = false;
    this.#changeSeqs.set(entry.key, changeSeq);
  }

  /** Writes locally: stamps, applies, persists, pushes. Resolves when durable. */
  write(key: string, value: Value | undefined): Promise<void> {
    this.#context.assertOpen();
    const limits = this.#context.config.limits;
    if (typeof key !== 'string') {
      throw new ShoalError(ErrorCode.InvalidArgument, `map key must be a string, got ${typeof key}`);
    }
    if (utf8Length(key) > limits.maxKeyBytes) {
      throw new ShoalError(
        ErrorCode.LimitExceeded,
        `key is longer than maxKeyBytes (${limits.maxKeyBytes})`,
        {
          details: { limit: 'maxKeyBytes', max: limits.maxKeyBytes },
        },
      );
    }
    let stored: Value | undefined;
    let bytes: Uint8Array | undefined;
    if (value !== undefined) {
      bytes = encodeValue(value);
      if (bytes.length > limits.maxValueBytes) {
        throw new ShoalError(
          ErrorCode.LimitExceeded,
          `value of ${bytes.length} bytes exceeds maxValueBytes (${limits.maxValueBytes})`,
          { details: { limit: 'maxValueBytes', max: limits.maxValueBytes, size: bytes.length } },
        );
      }
      // The stored copy is what every peer will decode: normalized, private and frozen.
      const decoded = decodeValue(bytes);
      if (!decoded.ok) throw new ShoalError(ErrorCode.UnsupportedValue, decoded.error);
      stored = deepFreeze(decoded.value);
    } else if (!this.replica.map.has(key)) {
      return this.#localWrite; // deleting an absent key changes nothing
    }
    if (this.replica.map.entry(key) === undefined && this.#countKeys() >= limits.maxKeysPerChannel) {
      throw new ShoalError(
        ErrorCode.LimitExceeded,
        `channel holds maxKeysPerChannel (${limits.maxKeysPerChannel}) keys`,
        {
          details: { limit: 'maxKeysPerChannel', max: limits.maxKeysPerChannel },
        },
      );
    }
    const self = this.#context.self;
    const stamp = this.#context.hlc.now();
    const entry: MapEntry = { key, value: stored, wall: stamp.wall, counter: stamp.counter, writer: self };
    // Peers see the write only once it is durable: after a crash the node must never have
    // shown anyone a write it then forgot (its clock could reissue that timestamp).
    this.replica.withholdAfter(self, this.replica.clockOf(self));
    this.#localBytes = bytes;
    this.replica.map.apply(entry, true);
    this.#localBytes = undefined;
    const durable = this.#localWrite;
    durable.then(
      () => {
        // The own clock is not persisted per write: on reload it is raised to the node's HLC
        // high-water mark, which vouches for every own write that ever became durable.
        this.replica.raiseClock(self, stamp);
        this.replica.withholdAfter(self, this.replica.clockOf(self));
        this.#context.pushLocal(this.#channel, { kind: 'map', name: this.name, entry });
      },
      () => {},
    );
    return durable;
  }

  /**
   * Merges entries from a peer, then its claims (only for writers whose entries all merged).
   * Returns the entries that were new here and won.
   */
  mergeRemote(entries: readonly MapEntry[], claims: readonly RangeClaim[]): MapEntry[] {
    const applied: MapEntry[] = [];
    const refused = new Set<NodeId>();
    let newest: MapEntry | undefined;
    const limits = this.#context.config.limits;
    for (const entry of entries) {
      if (utf8Length(entry.key) > limits.maxKeyBytes) {
        // A peer over our limits is not obeyed: its entry (and its claims) are dropped.
        refused.add(entry.writer);
        this.#context.reportError(
          new ShoalError(ErrorCode.LimitExceeded, `dropped a remote key over maxKeyBytes`),
        );
        continue;
      }
      if (
        this.replica.map.entry(entry.key) === undefined &&
        this.#countKeys() >= this.#context.config.limits.maxKeysPerChannel
      ) {
        refused.add(entry.writer);
        this.#context.reportError(
          new ShoalError(ErrorCode.LimitExceeded, `dropped a remote key: channel ${this.#channel} is full`),
        );
        continue;
      }
      try {
        this.#context.hlc.check(entry);
      } catch (error) {
        refused.add(entry.writer);
        this.#context.reportError(error as ShoalError);
        continue;
      }
      if (newest === undefined || compareTimestamps(entry, newest) > 0) newest = entry;
      if (this.replica.map.apply(entry)) applied.push(entry);
    }
    // One clock update per message: the clock then orders after everything merged.
    if (newest !== undefined) this.#context.hlc.receive(newest);
    for (const claim of claims) {
      if (refused.has(claim.writer)) continue;
      if (this.replica.acceptClaim(claim)) this.#persistClock(claim.writer);
    }
    return applied;
  }

  /** Live changes (and, with `since`, a replay first). */
  watch(options: WatchOptions = {}): AsyncIterableIterator<MapWatchEvent> {
    this.#context.assertOpen();
    const queue: AsyncQueue<MapWatchEvent> = new AsyncQueue(
      () => this.#watchers.delete(queue),
      options.signal,
    );
    if (options.since !== undefined) {
      if (!Number.isSafeInteger(options.since) || options.since < 0) {
        throw new ShoalError(ErrorCode.InvalidArgument, `since must be a cursor (a non-negative integer)`);
      }
      const replay = [...this.#changeSeqs]
        .filter(([, seq]) => seq > (options.since as number))
        .sort((a, b) => a[1] - b[1]);
      for (const [key, cursor] of replay) {
        const entry = this.replica.map.entry(key);
        if (entry !== undefined) queue.push(toEvent(entry, cursor, entry.writer === this.#context.self));
      }
    }
    this.#watchers.add(queue);
    return queue;
  }

  /** Purges tombstones older than `cutoffWall` from memory and disk; returns how many. */
  purgeTombstones(cutoffWall: number): number {
    const expired: string[] = [];
    for (const entry of this.replica.map.allEntries()) {
      if (entry.value === undefined && entry.wall < cutoffWall) expired.push(entry.key);
    }
    for (const key of expired) this.#forget(key);
    return expired.length;
  }

  /**
   * Drops every entry older than `cutoffWall` and resets the synced clocks, so the next sync
   * fetches the state again (a stale replica rejoining after the tombstone horizon). Watchers
   * see nothing: the entries that still exist elsewhere come back as ordinary changes.
   */
  dropOlderThan(cutoffWall: number): void {
    const old: string[] = [];
    for (const entry of this.replica.map.allEntries()) if (entry.wall < cutoffWall) old.push(entry.key);
    for (const key of old) this.#forget(key);
    for (const [writer] of this.replica.clocks()) {
      this.replica.resetClock(writer);
      this.#context.writes
        .write({ type: 'delete', key: mapClockKey(this.#channel, this.name, writer) })
        .catch(() => {});
    }
  }

  #forget(key: string): void {
    this.replica.purge(key);
    this.#changeSeqs.delete(key);
    this.#context.writes.write({ type: 'delete', key: this.#keys.key(key) }).catch(() => {});
  }

  /** Ends every watcher (node disposed). */
  closeWatchers(): void {
    for (const watcher of this.#watchers) watcher.close();
  }

  #changed(change: MapChange): void {
    if (this.#loading) return;
    const cursor = this.#context.nextChangeSeq();
    this.#changeSeqs.set(change.key, cursor);
    const entry = change.entry;
    const valueBytes = change.local
      ? this.#localBytes
      : entry.value === undefined
        ? undefined
        : encodeValue(entry.value);
    const record = encodeMapRecord(entry, cursor, valueBytes);
    const durable = this.#context.writes.write({
      type: 'put',
      key: this.#keys.key(entry.key),
      value: record,
    });
    // A remote entry's failed write needs no handler here: the write queue reports it.
    if (change.local) this.#localWrite = durable;
    for (const watcher of this.#watchers) watcher.push(toEvent(entry, cursor, change.local));
  }

  #persistClock(writer: NodeId): void {
    this.#context.writes
      .write({
        type: 'put',
        key: mapClockKey(this.#channel, this.name, writer),
        value: encodeTimestampRecord(this.replica.clockOf(writer)),
      })
      .catch(() => {});
  }
}

function toEvent(entry: MapEntry, cursor: number, local: boolean): MapWatchEvent {
  return {
    key: entry.key,
    value: entry.value,
    deleted: entry.value === undefined,
    writer: entry.writer,
    local,
    stamp: { wall: entry.wall, counter: entry.counter },
    cursor,
  };
}

/**
 * A replicated key/value map (last writer wins). Reads are local and synchronous; a write
 * applies locally at once, is pushed to peers, and its promise resolves when it is durable in
 * this node's storage. Values are JSON-compatible data or `Uint8Array`, returned frozen.
 * Keys are plain strings (`__proto__` included).
 */
export class SharedMap {
  readonly #object: MapObject;

  /** @internal Created by {@link Channel.map}. */
  constructor(object: MapObject) {
    this.#object = object;
  }

  /** The map's name within its channel. */
  get name(): string {
    return this.#object.name;
  }

  /** Number of keys with a value. */
  get size(): number {
    return this.#object.replica.map.size;
  }

  /** The value of `key`, or `undefined`. */
  get(key: string): Value | undefined {
    return this.#object.replica.map.get(key);
  }

  has(key: string): boolean {
    return this.#object.replica.map.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#object.replica.map.keys();
  }

  entries(): IterableIterator<[string, Value]> {
    return this.#object.replica.map.entries();
  }

  /** A plain-object snapshot (keys like `__proto__` become own properties, never prototypes). */
  toObject(): Record<string, Value> {
    const out: Record<string, Value> = Object.create(null);
    for (const [key, value] of this.entries()) out[key] = value;
    return out;
  }

  /**
   * Sets `key` to `value`. Visible to `get` at once; resolves when durable.
   * @throws ShoalError `UNSUPPORTED_VALUE` for a value that is not JSON data or bytes,
   * `LIMIT_EXCEEDED` over a size or count limit, `INVALID_ARGUMENT` for a non-string key,
   * `CLOSED` after dispose. Nothing changes when it throws.
   */
  set(key: string, value: Value): Promise<void> {
    if (value === undefined) {
      throw new ShoalError(ErrorCode.UnsupportedValue, 'undefined is not a value: use delete()');
    }
    return this.#object.write(key, value);
  }

  /** Deletes `key` (a tombstone replicates the delete). Resolves when durable. */
  delete(key: string): Promise<void> {
    return this.#object.write(key, undefined);
  }

  /**
   * Changes as an async iterator: `for await (const change of map.watch()) …`. Ends on `break`,
   * `return()` or when `options.signal` aborts; pass `since` to resume after a restart.
   */
  watch(options?: WatchOptions): AsyncIterableIterator<MapWatchEvent> {
    return this.#object.watch(options);
  }
}
