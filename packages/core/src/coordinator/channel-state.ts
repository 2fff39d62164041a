import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { isName } from '../ids/channel-id.js';
import type { NodeId } from '../ids/node-id.js';
import type { ObjectKind } from '../protocol/sync-messages.js';
import { encodeBase64Url } from '../security/base64url.js';
import { digestObjectId } from '../sync/clock-set.js';
import type { SyncedObject } from '../sync/synced-object.js';
import type { NodeContext } from './node-context.js';
import { MapObject } from './shared-map.js';
import { StreamObject } from './shared-stream.js';
import { Transaction, type TransactOptions } from './transaction.js';

/** The id of a replicated object inside its channel: kind prefix plus name. */
export function objectId(kind: ObjectKind, name: string): string {
  return digestObjectId({ kind, name });
}

/** Everything one channel holds on this node. Internal. */
export class ChannelState {
  readonly maps = new Map<string, MapObject>();
  readonly streams = new Map<string, StreamObject>();
  /**
   * Member public keys by their base64url text: when any member is listed (here or in
   * {@link memberIds}), the only peers this channel syncs with are those that proved one of
   * these keys.
   */
  readonly members = new Map<string, Uint8Array>();
  /** Members listed by node id before members were listed by key; honoured until removed. */
  readonly memberIds = new Set<NodeId>();
  /** Wall time of the last completed pull from a peer; undefined when it never synced. */
  lastSyncedAt: number | undefined;
  /** The transaction whose function is running, if any: writes made now join it. */
  transaction: Transaction | undefined;
  readonly #context: NodeContext;

  constructor(
    context: NodeContext,
    readonly name: string,
  ) {
    this.#context = context;
  }

  /** Reports a failure no caller awaits (a write through a map's proxy) on `node.errors`. */
  report(error: ShoalError): void {
    this.#context.reportError(error);
  }

  /** Keys held by all maps of the channel, tombstones included (the `maxKeysPerChannel` measure). */
  keyCount(): number {
    let count = 0;
    for (const map of this.maps.values()) count += map.replica.map.size + map.replica.map.tombstones;
    return count;
  }

  /** True when the channel holds `maxKeysPerChannel` keys: a write that adds one is refused. */
  isFull(): boolean {
    return this.keyCount() >= this.#context.config.limits.maxKeysPerChannel;
  }

  /** Throws `LIMIT_EXCEEDED` unless the channel has room for `adding` more keys. */
  checkKeyRoom(adding: number): void {
    const max = this.#context.config.limits.maxKeysPerChannel;
    if (adding > 0 && this.keyCount() + adding > max) {
      throw new ShoalError(ErrorCode.LimitExceeded, `channel holds maxKeysPerChannel (${max}) keys`, {
        details: { limit: 'maxKeysPerChannel', max },
      });
    }
  }

  /**
   * Runs `fn`, gathering the writes it makes to this channel's maps and streams, then applies
   * them together (see {@link Transaction}); resolves when they are durable. A call inside a
   * running transaction joins it. Throws (and applies nothing) when `fn` throws or returns a
   * promise, or when the writes would break the channel's key limit.
   */
  transact(fn: () => void, options?: TransactOptions): Promise<void> {
    this.#context.assertOpen();
    if (typeof fn !== 'function')
      throw new ShoalError(ErrorCode.InvalidArgument, 'transact() takes a function');
    const outer = this.transaction;
    if (outer !== undefined) {
      runSync(fn);
      return outer.settled;
    }
    const transaction = new Transaction(options);
    this.transaction = transaction;
    try {
      runSync(fn);
      transaction.checkFailure();
      // The bound is cheap and almost always under the limit; count exactly only when it is not.
      const max = this.#context.config.limits.maxKeysPerChannel;
      const bound = transaction.newKeys(false);
      this.checkKeyRoom(this.keyCount() + bound > max ? transaction.newKeys(true) : bound);
    } catch (error) {
      transaction.abort(error);
      throw error;
    } finally {
      this.transaction = undefined;
    }
    return this.#context.hlc.inOneReading(() => transaction.commit());
  }

  /** The map named `name`, created empty on first use. */
  map(name: string): MapObject {
    let map = this.maps.get(name);
    if (map === undefined) {
      checkName('map', name);
      // A member list by key admits only its members' signatures; without one, any writer's.
      map = new MapObject(
        this.#context,
        this.name,
        name,
        () => this.keyCount(),
        (key) => this.#admits(key),
      );
      this.maps.set(name, map);
    }
    return map;
  }

  /** The stream named `name`, created empty on first use. */
  stream(name: string): StreamObject {
    let stream = this.streams.get(name);
    if (stream === undefined) {
      checkName('stream', name);
      stream = new StreamObject(this.#context, this.name, name, (key) => this.#admits(key));
      this.streams.set(name, stream);
    }
    return stream;
  }

  /** A member list by key admits only its members' keys; without one, any key. */
  #admits(key: Uint8Array): boolean {
    return this.members.size === 0 || this.members.has(encodeBase64Url(key));
  }

  /** True when `peer` may sync this channel. */
  allows(peer: NodeId): boolean {
    if (this.members.size === 0 && this.memberIds.size === 0) return true;
    if (this.memberIds.has(peer)) return true;
    const key = this.#context.keyOf(peer);
    return key !== undefined && this.members.has(encodeBase64Url(key));
  }

  /** Every object, sorted by {@link objectId}. */
  objects(): Array<{ id: string; object: SyncedObject }> {
    const all: Array<{ id: string; object: SyncedObject }> = [];
    for (const object of [...this.maps.values(), ...this.streams.values()])
      all.push({ id: objectId(object.kind, object.name), object });
    return all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The object of that kind and name, if this channel holds it. */
  object(kind: ObjectKind, name: string): SyncedObject | undefined {
    return kind === 'map' ? this.maps.get(name) : this.streams.get(name);
  }

  /** The object of that kind and name, created if new. @throws ShoalError `INVALID_ID` for a bad name. */
  openObject(kind: ObjectKind, name: string): SyncedObject {
    return kind === 'map' ? this.map(name) : this.stream(name);
  }

  /** Purges tombstones older than `cutoffWall` in every map; returns how many. */
  purgeTombstones(cutoffWall: number): number {
    let purged = 0;
    for (const map of this.maps.values()) purged += map.purgeTombstones(cutoffWall);
    return purged;
  }

  /** Drops map entries older than `cutoffWall` so they are fetched again (see `tombstoneHorizon`). */
  dropOlderThan(cutoffWall: number): void {
    for (const map of this.maps.values()) map.dropOlderThan(cutoffWall);
  }

  closeWatchers(): void {
    for (const map of this.maps.values()) map.closeWatchers();
    for (const stream of this.streams.values()) stream.closeWatchers();
  }
}

/** Runs a transaction's function, refusing an async one: its writes would land after commit. */
function runSync(fn: () => void): void {
  const result: unknown = fn();
  if (
    result !== null &&
    typeof result === 'object' &&
    typeof (result as PromiseLike<unknown>).then === 'function'
  ) {
    // Its outcome is reported through the error below; it must not also surface as unhandled.
    (result as PromiseLike<unknown>).then(undefined, () => {});
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      'transact() takes a synchronous function: writes made after an await would miss the transaction',
    );
  }
}

function checkName(kind: string, name: string): void {
  if (!isName(name)) {
    throw new ShoalError(
      ErrorCode.InvalidId,
      `invalid ${kind} name ${JSON.stringify(name)}: 1-128 UTF-8 bytes`,
    );
  }
}

/** Object and entry counts over `channels`, for `resourceUsage()`. */
export function countObjects(channels: Iterable<ChannelState>): {
  maps: number;
  streams: number;
  keys: number;
  tombstones: number;
  streamEntries: number;
  heldEntries: number;
} {
  const counts = { maps: 0, streams: 0, keys: 0, tombstones: 0, streamEntries: 0, heldEntries: 0 };
  for (const channel of channels) {
    for (const map of channel.maps.values()) {
      counts.maps++;
      counts.keys += map.replica.map.size;
      counts.tombstones += map.replica.map.tombstones;
    }
    for (const stream of channel.streams.values()) {
      counts.streams++;
      counts.streamEntries += stream.replica.log.size;
      counts.heldEntries += stream.replica.log.held;
    }
  }
  return counts;
}
