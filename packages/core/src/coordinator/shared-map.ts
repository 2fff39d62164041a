import { compareTimestamps, type Timestamp, type Version, ZERO_TIMESTAMP } from '../clock/timestamp.js';
import { type EncodedValue, encodeValue, encodeValueCopy } from '../codec/encode-value.js';
import { handOut } from '../crdt/deep-freeze.js';
import { type HeldMapEntry, type MapEntry, mapEntry } from '../crdt/lww-map.js';
import type { Value } from '../crdt/value.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { putMapEntry } from '../persistence/entry-puts.js';
import { encodeGhostRecord, encodeSetSignatureRecord } from '../persistence/records.js';
import { MapEntryKeys, mapClockKey, mapGhostKey } from '../persistence/storage-keys.js';
import type { MapClock, MapDelta, ObjectDelta } from '../protocol/sync-messages.js';
import { mapSetMessage } from '../security/map-set-proofs.js';
import { appendAll } from '../sync/append-all.js';
import type { Clock } from '../sync/clock-set.js';
import type { ObjectPlan } from '../sync/delta-chunker.js';
import { type MapDeltaPlan, MapReplica } from '../sync/map-replica.js';
import { StoredEntries } from '../sync/stored-entries.js';
import type { PlanAsker } from '../sync/stream-replica.js';
import type { Lacking, SyncedObject } from '../sync/synced-object.js';
import type { SetCheck, SetSignature } from '../sync/verified-sets.js';
import type { SetItem } from '../sync/writer-set.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { utf8Length } from '../wire/utf8-length.js';
import { AsyncQueue } from './async-queue.js';
import { isAuthorSignature } from './author-signature.js';
import { changedSince } from './change-cursors.js';
import type { ChannelState } from './channel-state.js';
import { DurableBatches } from './durable-batches.js';
import { callListeners, checkListener } from './listeners.js';
import { type MapProxy, mapProxy } from './map-proxy.js';
import type { NodeContext } from './node-context.js';
import type { TransactionTarget } from './transaction.js';

/** One change seen by {@link SharedMap.watch}, {@link SharedMap.on} and {@link SharedMap.onKey}. */
export interface MapWatchEvent<T extends Value = Value> {
  readonly key: string;
  /** The new value; `undefined` when the key was deleted. */
  readonly value: T | undefined;
  readonly deleted: boolean;
  /** Who wrote it. */
  readonly writer: NodeId;
  /** True when written on this node. */
  readonly local: boolean;
  /** The write's hybrid logical timestamp (its place in the last-writer-wins order). */
  readonly stamp: Timestamp;
  /** Pass as `since` to a later `watch()` to resume right after this change. */
  readonly cursor: number;
  /**
   * The `origin` given to the {@link Channel.transact} that made this change on this node;
   * `undefined` for plain writes, replays and changes merged from peers.
   */
  readonly origin: string | undefined;
}

/** What {@link SharedMap.getEntry} returns: a key's current state, tombstones included. */
export interface MapEntryInfo<T extends Value = Value> {
  /** The value; `undefined` when the key is deleted. */
  readonly value: T | undefined;
  /** The write's place in the last-writer-wins order (hybrid logical timestamp plus writer). */
  readonly version: Version;
  /** Who wrote it. */
  readonly writer: NodeId;
  /** True when the current state is a delete (a tombstone). */
  readonly deleted: boolean;
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
export class MapObject implements TransactionTarget<string, Value | undefined>, SyncedObject {
  readonly kind = 'map';
  readonly replica: MapReplica;
  /** Where the map is kept when not in memory (`config.mapEntries: 'store'`). */
  readonly #stored: StoredEntries | undefined;
  readonly #watchers = new Set<AsyncQueue<MapWatchEvent>>();
  readonly #context: NodeContext;
  readonly #channel: string;
  readonly #keys: MapEntryKeys;
  readonly #countKeys: () => number;
  #localWrite: Promise<void> = Promise.resolve();
  /** Own writes, with their value digests, by the storage batch that makes them durable. */
  readonly #durable: DurableBatches<MapEntry>;
  /** Whether a channel's member list admits a writer's key. */
  readonly #admits: (publicKey: Uint8Array) => boolean;
  /** Deltas with parts of a catch-up that came before their cut (a few, kept until one comes). */
  readonly #early: MapDelta[] = [];
  /** Writers whose clock the last merge moved, and where from: what a relay pushes on. */
  readonly #clocksBefore = new Map<NodeId, Timestamp>();
  /** Own durable writes not yet in the own set (see {@link SharedMap.proveOwn}). */
  #unproven: MapEntry[] = [];
  readonly #listeners = new Set<(change: MapWatchEvent) => void>();
  readonly #keyListeners = new Map<string, Set<(change: MapWatchEvent) => void>>();

  constructor(
    context: NodeContext,
    channel: string,
    readonly name: string,
    countKeys: () => number,
    admits: (publicKey: Uint8Array) => boolean,
  ) {
    this.#admits = admits;
    this.#context = context;
    this.#channel = channel;
    this.#keys = new MapEntryKeys(channel, name);
    this.#countKeys = countKeys;
    const store = context.entryStore;
    this.#stored = store === undefined ? undefined : new StoredEntries(store, context.writes, channel, name);
    this.replica = new MapReplica(context.sha256, this.#stored, (writer, item) =>
      this.#keepGhost(writer, item),
    );
    this.#durable = new DurableBatches(context.writes, (batch) => this.#becameDurable(batch));
  }

  // SyncedObject. The channel routes digests and deltas by kind, so what reaches a map is a
  // map's: its clocks are map clocks, its delta a map delta.

  clocks(): ReadonlyArray<readonly [NodeId, MapClock]> {
    this.proveOwn();
    // Asked for each digest: when ghosts that waited too long are let go, so the digest
    // already asks for their writers again.
    for (const writer of this.replica.expireOwed(this.#context.hlc.physical() - OWED_MS))
      this.#deleteSignature(writer);
    return this.replica.clocks();
  }

  plan(
    remote: ReadonlyMap<NodeId, Clock>,
    from: string,
    to: string | null,
    _asker?: PlanAsker,
    limit?: number,
  ): ObjectPlan {
    this.proveOwn();
    // A map kept in the store plans a few microseconds per entry (an index read, an entry read
    // and decode): a full answer would keep the asker silent past its pull timeout, and it then
    // asks another peer too, which answers the same again.
    const cap =
      this.#stored === undefined ? limit : Math.min(limit ?? STORED_ANSWER_ENTRIES, STORED_ANSWER_ENTRIES);
    const plan = this.replica.planDelta(remote as ReadonlyMap<NodeId, MapClock>, from, to, cap);
    return { kind: 'map', name: this.name, ...plan };
  }

  lacking(remote: ReadonlyArray<readonly [NodeId, Clock]>): Lacking {
    this.proveOwn();
    return this.replica.lacking(remote as ReadonlyArray<readonly [NodeId, MapClock]>);
  }

  merge(delta: ObjectDelta, from?: NodeId): MapEntry[] {
    this.proveOwn();
    return this.#mergeRemote(delta as MapDelta, from);
  }

  relayPlan(fresh: readonly Timestamp[]): ObjectPlan {
    this.proveOwn();
    const plan: MapDeltaPlan = { proofs: [], entries: [], ghosts: [] };
    const writers = new Set((fresh as readonly MapEntry[]).map((entry) => entry.writer));
    for (const writer of writers) {
      const before = this.#clocksBefore.get(writer);
      if (before === undefined) continue;
      // A relay pushes on news, not a catch-up: a peer that lacks a whole set asks for it.
      const part = this.replica.planFrom(writer, before, true);
      appendAll(plan.proofs, part.proofs);
      appendAll(plan.entries, part.entries);
      appendAll(plan.ghosts, part.ghosts);
    }
    return { kind: 'map', name: this.name, ...plan };
  }

  /** Loads a persisted entry (no persistence, no events), with its value digest. */
  load(entry: HeldMapEntry, changeSeq: number, digest: Uint8Array): void {
    entry.cursor = changeSeq;
    this.replica.load(entry, digest);
  }

  /**
   * Every entry, ghost and signature of the map is loaded: a writer's set whose stored signature
   * does not cover it is dropped (fetched again); this node's own set is signed again, since its
   * signature may not have reached the store before a crash.
   */
  loaded(signatures: ReadonlyMap<NodeId, SetSignature>): void {
    const self = this.#context.self;
    const others = new Map(signatures);
    others.delete(self);
    const own = [...this.replica.sets.newerThan(self, { wall: 0, counter: 0 })];
    for (const writer of this.replica.loaded(others, this.#check)) {
      if (writer !== self) this.#deleteSignature(writer);
    }
    if (own.length === 0) return;
    const last = own.reduce((newest, item) => (compareTimestamps(item, newest) > 0 ? item : newest));
    this.replica.addOwn(self, own, last);
    this.#signOwn(last);
  }

  /**
   * Validates a local set without applying it: appends the value's encoding to `log` and
   * returns the private copy the replica will hold, built from the same reads, with the
   * encoding's length (its bytes are the log's last). Throws {@link ShoalError}, appending
   * nothing, for a bad key or value or one over a size limit.
   */
  prepare(key: string, value: Value, log: ByteWriter): EncodedValue {
    this.checkKey(key);
    const max = this.#context.config.limits.maxValueBytes;
    const encoded = encodeValueCopy(value, log, max);
    if (encoded.length > max) throw valueTooLarge(encoded.length, max);
    return encoded;
  }

  /** Throws {@link ShoalError} for a key a write may not use (or a closed node). */
  checkKey(key: string): void {
    this.#context.assertOpen();
    const limits = this.#context.config.limits;
    if (typeof key !== 'string') {
      throw new ShoalError(ErrorCode.InvalidArgument, `map key must be a string, got ${typeof key}`);
    }
    const bytes = utf8Length(key);
    if (bytes > limits.maxKeyBytes) {
      throw new ShoalError(
        ErrorCode.LimitExceeded,
        `key is longer than maxKeyBytes (${limits.maxKeyBytes})`,
        {
          details: { limit: 'maxKeyBytes', max: limits.maxKeyBytes },
        },
      );
    }
    // UTF-8 cannot carry a lone surrogate: on the wire and disk it would turn into U+FFFD and
    // merge with another key. A key of one byte per character has none (most keys: the
    // pattern is not worth running on them).
    if (bytes > key.length && LONE_SURROGATE.test(key)) {
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        'map key has an unpaired surrogate (not well-formed Unicode)',
      );
    }
  }

  /** True when writing `value` (a prepared write's) to `key` would add a key (the `maxKeysPerChannel` measure). */
  addsKey(key: string, value: Value | undefined): boolean {
    return value !== undefined && this.replica.map.entry(key) === undefined;
  }

  /** The channel-wide name of the key a write adds, if it adds one (a transaction counts them). */
  addedKey(key: string, value: Value | undefined): string | undefined {
    return this.addsKey(key, value) ? `${this.name}\0${key}` : undefined;
  }

  /**
   * Applies a prepared write of `value` (the private copy every peer will decode; `undefined`
   * deletes) to `key`, `source[start, end)` its encoding: stamps it, applies it, queues it for storage, and
   * pushes it to peers once durable. Returns the promise of its durability. The caller checked
   * the key count; `origin` is told to watchers.
   */
  commit(
    key: string,
    origin: string | undefined,
    value: Value | undefined,
    source: Uint8Array | undefined,
    start: number,
    end: number,
  ): Promise<void> {
    // Deleting an absent key changes nothing.
    if (value === undefined && !this.replica.map.has(key)) return this.#localWrite;
    const self = this.#context.self;
    const hlc = this.#context.hlc;
    hlc.advance();
    const entry = mapEntry(key, value, hlc.wall, hlc.counter, self);
    // Peers see the write only once it is durable (it joins this node's signed set then): after
    // a crash the node must never have shown anyone a write it then forgot (its clock could
    // reissue that timestamp).
    this.replica.map.apply(entry, true);
    this.#localWrite = this.#record(entry, source, start, end, true, origin);
    this.#durable.add(this.#localWrite, entry);
    return this.#localWrite;
  }

  /**
   * Own writes of one storage batch became durable. Pushed at once when a peer may take them
   * (they join the own set, signed, first); else they wait, unproven, until a peer asks (a
   * digest, an answer, an export): a node writing offline, or between rounds, hashes and signs
   * its set once for all those writes, and a key written again meanwhile is hashed once.
   */
  #becameDurable(batch: MapEntry[]): void {
    appendAll(this.#unproven, batch);
    const push = this.#context.canPush(this.#channel);
    // Bounded: a map kept in the store must not hold a long offline burst's values in memory.
    if (!push && this.#unproven.length < MAX_UNPROVEN) return;
    const self = this.#context.self;
    const before = this.replica.clockOf(self);
    this.proveOwn();
    if (push)
      this.#context.pushLocal(this.#channel, {
        kind: 'map',
        name: this.name,
        ...this.replica.planFrom(self, before),
      });
  }

  /**
   * Own durable writes waiting join the own set, which is signed again (ADR 0058). Called
   * before anything reads the own set: every sync path, an export, saving the signature.
   */
  proveOwn(): void {
    const batch = this.#unproven;
    if (batch.length === 0) return;
    this.#unproven = [];
    const self = this.#context.self;
    const map = this.replica.map;
    const last = batch[batch.length - 1] as MapEntry;
    const items: SetItem[] = [];
    for (const entry of batch) {
      const held = map.entry(entry.key);
      // A later own write of the key replaced it: that write's item goes in its stead.
      if (held !== undefined && held.writer === self && compareTimestamps(held, entry) > 0) continue;
      // The digest of the bytes peers get: the chunker encodes the entry's (normalized) value.
      const bytes = entry.value === undefined ? undefined : encodeValue(entry.value);
      const digest = this.replica.digestOf(bytes, 0, bytes?.length ?? 0);
      items.push({ key: entry.key, wall: entry.wall, counter: entry.counter, digest });
    }
    this.replica.addOwn(self, items, last);
    // A peer's newer write may have replaced one of these before it was proven: the set keeps
    // it as a ghost, and so must the store, or the set reloaded would not be the one signed.
    for (const item of items) {
      const held = map.entry(item.key);
      if (held === undefined || held.writer !== self || compareTimestamps(held, item) !== 0)
        this.#keepGhost(self, item);
    }
    this.#signOwn(last);
  }

  /** Own writes taken back from a peer joined the own set: its ghosts are stored, and it is signed again. */
  #reclaimed(): void {
    const self = this.#context.self;
    let newest: Timestamp = ZERO_TIMESTAMP;
    for (const item of this.replica.sets.newerThan(self, ZERO_TIMESTAMP)) {
      if (compareTimestamps(item, newest) > 0) newest = item;
      const held = this.replica.map.entry(item.key);
      if (held === undefined || held.writer !== self || compareTimestamps(held, item) !== 0)
        this.#keepGhost(self, item);
    }
    this.#signOwn(newest);
  }

  /** Signs this node's own set as held (its newest write `version`), keeps and stores the signature. */
  #signOwn(version: Timestamp): void {
    const context = this.#context;
    const self = context.self;
    const root = this.replica.sets.setOf(self)?.root();
    if (root === undefined) return;
    const at = { wall: version.wall, counter: version.counter };
    const signed: SetSignature = {
      version: at,
      signature: context.sign(mapSetMessage(this.name, self, at, root)),
      publicKey: context.publicKey,
    };
    this.replica.ownSigned(self, signed);
    this.#persistSignature(self, signed);
  }

  /**
   * Merges a peer's delta: its writers' proofs are checked first (ADR 0058), and only entries
   * their writers' signatures cover (or this replica's sets hold) are applied. A writer over
   * a limit anywhere in the delta is passed over whole. Returns the entries that were new here
   * and won.
   */
  #mergeRemote(delta: MapDelta, from?: NodeId): MapEntry[] {
    const { entries, source, valueRanges } = delta;
    const context = this.#context;
    const limits = context.config.limits;
    const refused = new Set<NodeId>();
    // A peer over our limits is not obeyed: that writer's entries and proofs are dropped.
    const refuse = (writer: NodeId, error: ShoalError): void => {
      refused.add(writer);
      context.reportError(error);
    };
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as MapEntry;
      if (refused.has(entry.writer)) continue;
      if (utf8Length(entry.key) > limits.maxKeyBytes) {
        refuse(
          entry.writer,
          new ShoalError(ErrorCode.LimitExceeded, `dropped a remote key over maxKeyBytes`),
        );
        continue;
      }
      const size = (valueRanges[2 * i + 1] as number) - (valueRanges[2 * i] as number);
      if (size > limits.maxValueBytes) {
        refuse(
          entry.writer,
          new ShoalError(
            ErrorCode.LimitExceeded,
            `dropped a remote value of ${size} bytes over maxValueBytes`,
          ),
        );
        continue;
      }
      try {
        context.hlc.check(entry);
      } catch (error) {
        refuse(entry.writer, error as ShoalError);
      }
    }
    for (const proof of delta.proofs) {
      // A signature from the future would let its writer's clock here run ahead of real time.
      if (proof.kind === 'slice' || refused.has(proof.writer)) continue;
      try {
        context.hlc.check(proof.signed.version);
      } catch (error) {
        refuse(proof.writer, error as ShoalError);
      }
    }
    const digests = entries.map((entry, i) => {
      const start = valueRanges[2 * i] as number;
      return entry.value === undefined
        ? this.replica.digestOf(undefined)
        : this.replica.digestOf(source, start, valueRanges[2 * i + 1] as number);
    });
    const sets = this.replica.sets;
    const signedBefore = new Map(delta.proofs.map((proof) => [proof.writer, sets.signatureOf(proof.writer)]));
    const self = context.self;
    const proven = this.replica.prove(delta, digests, this.#check, refused, self);
    this.#clocksBefore.clear();
    for (const writer of proven.refused) this.#reportForged(writer);
    // A writer's own words that do not extend what this replica holds of it: a copy of that
    // node (restored from a backup) wrote them. It is sent what this replica holds of its set,
    // signed by itself, so it can take its lost writes back and sign a set that extends it.
    if (from !== undefined && proven.refused.includes(from)) {
      const plan = this.replica.planFrom(from, ZERO_TIMESTAMP);
      if (plan.proofs.length > 0)
        context.sendPlan(from, this.#channel, { kind: 'map', name: this.name, ...plan });
    }
    const applied = this.#applyRemote(delta, proven.authentic);
    if (proven.reclaimed) this.#reclaimed();
    if (proven.early && this.#early.length < MAX_EARLY_DELTAS) this.#early.push(delta);
    for (const ghost of proven.ghosts) this.#keepGhost(ghost.writer, ghost);
    for (const [writer, before] of signedBefore) {
      const signed = sets.signatureOf(writer);
      if (signed === undefined || signed === before) continue;
      this.#persistSignature(writer, signed);
      // News to push on came in a whole proof; a catch-up by slices is not pushed on (a peer
      // that lacks a whole set asks for it), nor planned for it.
      if (delta.proofs.some((proof) => proof.kind === 'whole' && proof.writer === writer))
        this.#clocksBefore.set(writer, before?.version ?? ZERO_TIMESTAMP);
    }
    for (const liar of this.replica.settle(proven.ghosts, context.hlc.physical())) {
      this.#deleteSignature(liar);
      this.#reportForged(liar);
    }
    // Parts that overtook their cut are judged now that a cut is in.
    if (proven.cut && this.#early.length > 0) {
      for (const early of this.#early.splice(0)) appendAll(applied, this.#mergeRemote(early));
    }
    return applied;
  }

  /** Applies the entries of `delta` marked authentic (within the channel's key limit). */
  #applyRemote({ entries, source, valueRanges }: MapDelta, authentic: readonly boolean[]): MapEntry[] {
    const applied: MapEntry[] = [];
    let newest: MapEntry | undefined;
    const limits = this.#context.config.limits;
    for (let i = 0; i < entries.length; i++) {
      if (!authentic[i]) continue;
      // Deltas reach a map decoded, and the decoder makes its entries with `mapEntry`.
      const entry = entries[i] as HeldMapEntry;
      // The count first: it is cheap, and a channel is rarely full, while the key's lookup is
      // a cache miss in a large map (a third of the map's cost per merged entry).
      if (this.#countKeys() >= limits.maxKeysPerChannel && this.replica.map.entry(entry.key) === undefined) {
        this.#context.reportError(
          new ShoalError(ErrorCode.LimitExceeded, `dropped a remote key: channel ${this.#channel} is full`),
        );
        continue;
      }
      if (newest === undefined || compareTimestamps(entry, newest) > 0) newest = entry;
      if (this.replica.map.apply(entry)) {
        // The bytes as received: persisted as they are, never encoded again.
        const start = valueRanges[2 * i] as number;
        const end = valueRanges[2 * i + 1] as number;
        this.#record(entry, entry.value === undefined ? undefined : source, start, end, false, undefined);
        applied.push(entry);
      }
    }
    // One clock update per message: the clock then orders after everything merged.
    if (newest !== undefined) this.#context.hlc.receive(newest);
    return applied;
  }

  /** Whether `signed` is `writer`'s signature over its set of this map with root `root`. */
  #check: SetCheck = (writer, signed, root) =>
    isAuthorSignature(
      this.#context,
      this.#admits,
      writer,
      signed.publicKey,
      () => mapSetMessage(this.name, writer, signed.version, root),
      signed.signature,
    );

  #reportForged(writer: NodeId): void {
    this.#context.reportError(
      new ShoalError(
        ErrorCode.AuthFailed,
        `map ${this.name}: dropped entries of ${writer} that its signature does not cover`,
        { details: { writer } },
      ),
    );
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
      for (const entry of changedSince(this.#held(), options.since))
        queue.push(toEvent(entry, entry.cursor, entry.writer === this.#context.self, undefined));
    }
    this.#watchers.add(queue);
    return queue;
  }

  /** Purges tombstones older than `cutoffWall` from memory and disk; returns how many. */
  purgeTombstones(cutoffWall: number): number {
    this.proveOwn();
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
    this.proveOwn();
    const old: string[] = [];
    for (const entry of this.replica.map.allEntries()) if (entry.wall < cutoffWall) old.push(entry.key);
    for (const key of old) this.#forget(key);
    for (const writer of [...this.replica.sets.writers()]) {
      this.replica.resetClock(writer);
      this.#deleteSignature(writer);
    }
  }

  #forget(key: string): void {
    // The entry goes, its item stays in its writer's set (what the writer signed): stored as a
    // ghost, so the set reopens as signed and the tombstone can be sent again from it.
    const entry = this.replica.map.entry(key);
    const item = entry === undefined ? undefined : this.replica.sets.itemOf(entry.writer, key);
    if (entry !== undefined && item !== undefined && compareTimestamps(item, entry) === 0)
      this.#keepGhost(entry.writer, item);
    this.replica.purge(key);
    this.#context.writes.write({ type: 'delete', key: this.#keys.key(key) }).catch(() => {});
  }

  /** Every entry the map holds, tombstones included: all made by `mapEntry` (local, decoded, loaded). */
  #held(): IterableIterator<HeldMapEntry> {
    return this.replica.map.allEntries() as IterableIterator<HeldMapEntry>;
  }

  /** Ends every watcher (node disposed). */
  closeWatchers(): void {
    for (const watcher of this.#watchers) watcher.close();
  }

  /**
   * An entry won here: queue its record for storage and tell watchers and listeners. Returns
   * the promise of its durability (a failed write needs no handler: the write queue reports it).
   */
  #record(
    entry: HeldMapEntry,
    value: Uint8Array | undefined,
    start: number,
    end: number,
    local: boolean,
    origin: string | undefined,
  ): Promise<void> {
    const cursor = this.#context.nextChangeSeq();
    entry.cursor = cursor;
    const writes = this.#context.writes;
    putMapEntry(writes.append(), this.#keys, entry, cursor, value, start, end);
    const durable = writes.queued;
    const keyListeners = this.#keyListeners.size === 0 ? undefined : this.#keyListeners.get(entry.key);
    if (this.#watchers.size === 0 && this.#listeners.size === 0 && keyListeners === undefined) return durable;
    const event = toEvent(entry, cursor, local, origin);
    for (const watcher of this.#watchers) watcher.push(event);
    const report = this.#context.reportError;
    callListeners(this.#listeners, event, `map ${this.name}`, report);
    if (keyListeners !== undefined) callListeners(keyListeners, event, `map ${this.name}`, report);
    return durable;
  }

  /** Calls `listener` for every change from now on; returns the unsubscribe function. */
  onChange(listener: (change: MapWatchEvent) => void): () => void {
    this.#context.assertOpen();
    checkListener(listener);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener` for every change of `key` from now on; returns the unsubscribe function. */
  onKey(key: string, listener: (change: MapWatchEvent) => void): () => void {
    this.#context.assertOpen();
    if (typeof key !== 'string') {
      throw new ShoalError(ErrorCode.InvalidArgument, `map key must be a string, got ${typeof key}`);
    }
    checkListener(listener);
    let listeners = this.#keyListeners.get(key);
    if (listeners === undefined) {
      listeners = new Set();
      this.#keyListeners.set(key, listeners);
    }
    const set = listeners;
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#keyListeners.get(key) === set) this.#keyListeners.delete(key);
    };
  }

  #persistSignature(writer: NodeId, signed: SetSignature): void {
    this.#context.writes
      .write({
        type: 'put',
        key: mapClockKey(this.#channel, this.name, writer),
        value: encodeSetSignatureRecord(signed),
      })
      .catch(() => {});
  }

  #deleteSignature(writer: NodeId): void {
    this.#context.writes
      .write({ type: 'delete', key: mapClockKey(this.#channel, this.name, writer) })
      .catch(() => {});
  }

  /** Stores `writer`'s item as a ghost: its set holds it, the map no longer does. */
  #keepGhost(writer: NodeId, item: SetItem): void {
    this.#context.writes
      .write({
        type: 'put',
        key: mapGhostKey(this.#channel, this.name, writer, item.key),
        value: encodeGhostRecord(item),
      })
      .catch(() => {});
  }
}

/** Most deltas kept for a cut that has not arrived: an answer's chunks, not a flood's. */
const MAX_EARLY_DELTAS = 64;

/**
 * How long a ghost may wait for the entry its sender said replaced it before its writer's set
 * is fetched again (ms): far longer than an honest answer's other writers take to arrive.
 */
const OWED_MS = 30_000;

/**
 * Own durable writes that wait, unproven, for a peer (see `SharedMap.proveOwn`) are proven
 * at this many anyway: their entries (values included) are held until then.
 */
const MAX_UNPROVEN = 16_384;

/** An own write and its value's digest, until its storage batch is durable. */

/** The error of a value whose encoding, `size` bytes, is over `maxValueBytes` (`max`). */
function valueTooLarge(size: number, max: number): ShoalError {
  return new ShoalError(ErrorCode.LimitExceeded, `value of ${size} bytes exceeds maxValueBytes (${max})`, {
    details: { limit: 'maxValueBytes', max, size },
  });
}

/** Most entries one answer plans from a map kept in the store (a few tens of ms of reads). */
const STORED_ANSWER_ENTRIES = 5_000;

/** Where a write made outside a transaction encodes its value, for its record to copy. */
const scratch = new ByteWriter(256);

/**
 * The scratch writer, emptied. A getter inside a value may make another write while the value
 * is read; that write empties it too, and is copied out, before this write's bytes go in.
 */
function clearedScratch(): ByteWriter {
  scratch.clear();
  return scratch;
}

function toEvent(entry: MapEntry, cursor: number, local: boolean, origin: string | undefined): MapWatchEvent {
  return {
    key: entry.key,
    value: handOut(entry.value),
    deleted: entry.value === undefined,
    writer: entry.writer,
    local,
    stamp: { wall: entry.wall, counter: entry.counter },
    cursor,
    origin,
  };
}

/** Unpaired UTF-16 surrogates (`u` mode reads a valid pair as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A replicated key/value map (last writer wins). Reads are local and synchronous; a write
 * applies locally at once, is pushed to peers, and its promise resolves when it is durable in
 * this node's storage. Values are JSON-compatible data or `Uint8Array`, returned frozen.
 * Keys are plain strings (`__proto__` included).
 *
 * `T` is the type of the values the application keeps here (`ch.map<Settings>('settings')`).
 * It is a promise the application makes, not a check: a peer running other code can write any
 * value, so validate what you read when peers are not all yours.
 *
 * Every write method returns a promise and never throws: a bad call rejects at once with a
 * {@link ShoalError} (`code` says why) and changes nothing.
 */
export class SharedMap<T extends Value = Value> {
  readonly #object: MapObject;
  readonly #channel: ChannelState;
  #proxy: MapProxy<T> | undefined;

  /** @internal Created by {@link Channel.map}. */
  constructor(object: MapObject, channel: ChannelState) {
    this.#object = object;
    this.#channel = channel;
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
  get(key: string): T | undefined {
    return handOut(this.#object.replica.map.get(key)) as T | undefined;
  }

  /**
   * The state of `key` with its version and writer, tombstones included (`deleted: true`);
   * `undefined` when this replica never saw the key.
   */
  getEntry(key: string): MapEntryInfo<T> | undefined {
    const entry = this.#object.replica.map.entry(key);
    if (entry === undefined) return undefined;
    return {
      value: handOut(entry.value) as T | undefined,
      version: { wall: entry.wall, counter: entry.counter, writer: entry.writer },
      writer: entry.writer,
      deleted: entry.value === undefined,
    };
  }

  has(key: string): boolean {
    return this.#object.replica.map.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#object.replica.map.keys();
  }

  *entries(): IterableIterator<[string, T]> {
    for (const [key, value] of this.#object.replica.map.entries()) yield [key, handOut(value) as T];
  }

  /** A plain-object snapshot (keys like `__proto__` become own properties, never prototypes). */
  toObject(): Record<string, T> {
    const out: Record<string, T> = Object.create(null);
    for (const [key, value] of this.entries()) out[key] = value;
    return out;
  }

  /**
   * Sets `key` to `value`. Visible to `get` at once; resolves when durable. Inside
   * {@link Channel.transact} it is applied with the transaction and resolves with it.
   * Rejects with ShoalError `UNSUPPORTED_VALUE` for a value that is not JSON data or bytes,
   * `LIMIT_EXCEEDED` over a size or count limit, `INVALID_ARGUMENT` for a key that is not a
   * well-formed string, `CLOSED` after dispose. Nothing changes when it rejects.
   */
  set(key: string, value: T): Promise<void> {
    if (value === undefined) {
      return Promise.reject(
        new ShoalError(ErrorCode.UnsupportedValue, 'undefined is not a value: use delete()'),
      );
    }
    return this.#write(key, value);
  }

  /** Deletes `key` (a tombstone replicates the delete). Resolves when durable. */
  delete(key: string): Promise<void> {
    return this.#write(key, undefined);
  }

  /**
   * This map as a plain-looking object: `view.hall` reads key `hall`, `view.hall = value`
   * writes it (`undefined` deletes), `delete view.hall` deletes, and `in`, `Object.keys`,
   * spreading and `JSON.stringify` see the keys with values. Writes return nothing to await;
   * one that fails changes nothing and is reported on `node.errors`. The same view every call.
   */
  proxy(): MapProxy<T> {
    this.#proxy ??= mapProxy<T>(this, (error) => this.#channel.report(error));
    return this.#proxy;
  }

  /**
   * Changes as an async iterator: `for await (const change of map.watch()) …`. Ends on `break`,
   * `return()` or when `options.signal` aborts; pass `since` to resume after a restart.
   */
  watch(options?: WatchOptions): AsyncIterableIterator<MapWatchEvent<T>> {
    return this.#object.watch(options) as AsyncIterableIterator<MapWatchEvent<T>>;
  }

  /**
   * Calls `listener` synchronously after every change, local or merged from a peer; returns
   * the unsubscribe function. A listener that throws is reported on `node.errors`
   * (`LISTENER_FAILED`) and does not stop the change or the other listeners.
   */
  on(event: 'change', listener: (change: MapWatchEvent<T>) => void): () => void {
    if (event !== 'change')
      throw new ShoalError(ErrorCode.InvalidArgument, `unknown map event ${String(event)}`);
    return this.#object.onChange(listener as (change: MapWatchEvent) => void);
  }

  /** Like {@link SharedMap.on}, for the changes of one key. */
  onKey(key: string, listener: (change: MapWatchEvent<T>) => void): () => void {
    return this.#object.onKey(key, listener as (change: MapWatchEvent) => void);
  }

  #write(key: string, value: T | undefined): Promise<void> {
    const transaction = this.#channel.transaction;
    try {
      // A transaction logs its writes' bytes; a plain write's are copied into its record at
      // once, from one scratch writer.
      const log = transaction?.log ?? clearedScratch();
      let stored: Value | undefined;
      let start = -1;
      let end = -1;
      if (value === undefined) this.#object.checkKey(key);
      else {
        // The stored copy is what every peer will decode: normalized and private (frozen when
        // first handed out).
        const encoded = this.#object.prepare(key, value, log);
        stored = encoded.copy;
        end = log.length;
        start = end - encoded.length;
      }
      if (transaction !== undefined) {
        // Any set may add a key: the transaction looks keys up only if that bound is too high.
        transaction.add(this.#object, key, stored, start, end, stored !== undefined);
        return transaction.settled;
      }
      // Looked up only when the channel is full: the lookup is the costly part.
      if (this.#channel.isFull() && this.#object.addsKey(key, stored)) this.#channel.checkKeyRoom(1);
      return this.#object.commit(key, undefined, stored, start < 0 ? undefined : log.buffer, start, end);
    } catch (error) {
      // A bad write inside a transaction fails all of it, whether or not its promise is awaited.
      if (transaction === undefined) return Promise.reject(error);
      transaction.fail(error);
      return transaction.settled;
    }
  }
}
