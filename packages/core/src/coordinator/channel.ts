import type { Value } from '../crdt/value.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { decodeBase64Url, encodeBase64Url } from '../security/base64url.js';
import { isUsableKey } from '../security/peer-keys.js';
import { decodeSnapshot, encodeSnapshot } from './channel-snapshot.js';
import type { ChannelState } from './channel-state.js';
import { SharedMap } from './shared-map.js';
import { SharedStream } from './shared-stream.js';
import type { PeerSyncStatus } from './sync-engine.js';
import type { TransactOptions } from './transaction.js';

/** What a {@link Channel} needs from its node. Internal. */
export interface ChannelHost {
  readonly state: ChannelState;
  syncStatus(): PeerSyncStatus[];
  saveMembers(): Promise<void>;
  /** Resolves once every write made so far is durable. */
  flush(): Promise<void>;
  /** Largest snapshot {@link Channel.import} accepts, in bytes. */
  readonly maxImportBytes: number;
  assertOpen(): void;
}

/** What {@link Channel.import} merged. */
export interface ImportResult {
  /** Map entries and stream entries that were new here (and won, for maps). */
  readonly applied: number;
  /** Entries the snapshot held that this replica already had (or had newer). */
  readonly skipped: number;
}

/**
 * A named scope of maps and streams: the unit of replication (peers sync the channels both
 * have opened), of access (with members listed, it syncs only with them) and of secrecy.
 */
export class Channel {
  readonly #host: ChannelHost;
  readonly #maps = new Map<string, SharedMap>();
  readonly #streams = new Map<string, SharedStream>();

  /** @internal Created by {@link Coordinator.channel}. */
  constructor(host: ChannelHost) {
    this.#host = host;
  }

  get name(): string {
    return this.#host.state.name;
  }

  /**
   * The map called `name` in this channel, created empty on first use (and on every peer as
   * soon as one writes to it). Always the same instance for the same name; `T` types its
   * values (see {@link SharedMap}).
   * @throws ShoalError `INVALID_ID` for a name that is empty or over 128 UTF-8 bytes.
   */
  map<T extends Value = Value>(name: string): SharedMap<T> {
    let map = this.#maps.get(name);
    if (map === undefined) {
      this.#host.assertOpen();
      map = new SharedMap(this.#host.state.map(name), this.#host.state);
      this.#maps.set(name, map);
    }
    return map as unknown as SharedMap<T>;
  }

  /** The stream called `name` in this channel, created empty on first use. */
  stream(name: string): SharedStream {
    let stream = this.#streams.get(name);
    if (stream === undefined) {
      this.#host.assertOpen();
      stream = new SharedStream(this.#host.state.stream(name), this.#host.state);
      this.#streams.set(name, stream);
    }
    return stream;
  }

  /**
   * Makes many writes across this channel's maps and streams as one: `fn` runs at once, and
   * the writes it makes are applied together when it returns (reads inside `fn` still see the
   * state before them), persisted as one batch, pushed to peers together, and seen by every
   * watcher and listener here in one run, each change carrying `options.origin`. Resolves when
   * all are durable.
   *
   * Rejects, applying none of the writes, when `fn` throws (with its error), when a write in
   * it is invalid (`INVALID_ARGUMENT`, `UNSUPPORTED_VALUE`, `LIMIT_EXCEEDED`), when the writes
   * together exceed `maxKeysPerChannel`, or when `fn` is async (`INVALID_ARGUMENT`: writes made
   * after an `await` would miss the transaction). A `transact` inside `fn` joins the outer one.
   */
  transact(fn: () => void, options?: TransactOptions): Promise<void> {
    try {
      return this.#host.state.transact(fn, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A snapshot of everything this channel holds, once every write made so far is durable:
   * map entries (deletes included), stream entries, and the ranges this replica vouches for,
   * so a replica that imports it syncs the rest cheaply. Bytes for {@link Channel.import} on
   * any node of any network (they are not encrypted: protect the file as the data).
   */
  async export(): Promise<Uint8Array> {
    this.#host.assertOpen();
    await this.#host.flush();
    return encodeSnapshot(this.#host.state);
  }

  /**
   * Merges a snapshot made by {@link Channel.export} (of this channel or another one) into this
   * channel, as if a peer had sent it: nothing is replaced, each entry wins or loses by its
   * version, so importing twice or importing an older snapshot changes nothing. Entries are
   * checked as any peer's are (limits, clock drift). Resolves when the merged entries are
   * durable. Rejects with `DECODE_FAILED` for bytes that are not a snapshot (nothing merged),
   * `LIMIT_EXCEEDED` for one over `limits.maxImportBytes`.
   */
  async import(bytes: Uint8Array): Promise<ImportResult> {
    this.#host.assertOpen();
    if (!(bytes instanceof Uint8Array)) {
      throw new ShoalError(ErrorCode.InvalidArgument, 'import() takes the Uint8Array made by export()');
    }
    if (bytes.length > this.#host.maxImportBytes) {
      throw new ShoalError(
        ErrorCode.LimitExceeded,
        `snapshot of ${bytes.length} bytes exceeds maxImportBytes (${this.#host.maxImportBytes})`,
        { details: { limit: 'maxImportBytes', max: this.#host.maxImportBytes, size: bytes.length } },
      );
    }
    const snapshot = decodeSnapshot(bytes);
    if (!snapshot.ok) throw new ShoalError(ErrorCode.DecodeFailed, `not a valid snapshot: ${snapshot.error}`);
    let applied = 0;
    let total = 0;
    const state = this.#host.state;
    for (const object of snapshot.value.objects) {
      total += object.entries.length;
      applied += state.openObject(object.kind, object.name).merge(object).length;
    }
    await this.#host.flush();
    return { applied, skipped: total - applied };
  }

  /** Names of the maps and streams this channel holds (including ones created by peers). */
  objects(): { maps: string[]; streams: string[] } {
    return { maps: [...this.#host.state.maps.keys()], streams: [...this.#host.state.streams.keys()] };
  }

  /**
   * Restricts this channel to listed members, by public key (a peer's `node.publicKey`, as
   * bytes or its base64url text, as {@link Channel.members} gives it): once any member is
   * listed, the channel syncs only with peers that proved one of the keys (every message between
   * nodes is sealed under a key only the pair can derive, ADR 0045), in both directions, so
   * entries reach it only through members. The list is this node's own setting: each member
   * lists the others, or a member that lists none passes the channel on to anyone holding the
   * secret. List this node's own key too if its copies elsewhere should sync with it. Needs a secret (an open node proves no key: a listed channel syncs with
   * nobody). Persisted; resolves when durable. Rejects with `INVALID_ARGUMENT` for anything but
   * a usable Ed25519 public key, changing nothing.
   */
  addMember(publicKey: Uint8Array | string): Promise<void> {
    try {
      this.#host.assertOpen();
      const key = parsePublicKey(publicKey);
      this.#host.state.members.set(encodeBase64Url(key), key);
      return this.#host.saveMembers();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Removes a member (its public key; or a node id listed before members were listed by key):
   * the channel stops syncing with it at once, so it gets none of the writes made from now on
   * and none of its writes get in. With no members left the channel is open to every peer again.
   */
  removeMember(member: Uint8Array | string): Promise<void> {
    try {
      this.#host.assertOpen();
      const { state } = this.#host;
      if (typeof member === 'string' && state.memberIds.delete(member as NodeId))
        return this.#host.saveMembers();
      state.members.delete(encodeBase64Url(parsePublicKey(member)));
      return this.#host.saveMembers();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The listed members' public keys as base64url text, then any node ids listed before members
   * were listed by key (empty: every peer may sync this channel).
   */
  members(): string[] {
    return [...this.#host.state.members.keys(), ...this.#host.state.memberIds];
  }

  /** Per peer: how far apart the replicas were at the last exchange. */
  syncStatus(): PeerSyncStatus[] {
    return this.#host.syncStatus();
  }
}

/** A public key given as bytes or base64url text; throws `INVALID_ARGUMENT` unless usable. */
function parsePublicKey(publicKey: Uint8Array | string): Uint8Array {
  const bytes = typeof publicKey === 'string' ? decodeBase64Url(publicKey) : publicKey;
  if (bytes === undefined || !isUsableKey(bytes)) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      'a member is an Ed25519 public key: 32 bytes, or their base64url text (node.publicKey)',
    );
  }
  return bytes.slice();
}
