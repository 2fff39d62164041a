import { Hlc } from '../clock/hlc.js';
import { ErrorCode, isShoalError, ShoalError } from '../errors/shoal-error.js';
import { parseChannelId } from '../ids/channel-id.js';
import { type NodeId, parseNodeId } from '../ids/node-id.js';
import type { MembershipConfig } from '../membership/config.js';
import type { MemberInfo } from '../membership/member-state.js';
import { Membership } from '../membership/membership.js';
import { encodeCounterRecord, encodeTimestampRecord } from '../persistence/records.js';
import { channelMetaKey, channelSyncKey, mapClockKey } from '../persistence/storage-keys.js';
import { WriteQueue } from '../persistence/write-queue.js';
import type { Aead } from '../ports/aead.js';
import { type Compression, fflateCompression } from '../ports/compression.js';
import { cryptoRandom } from '../ports/crypto-random.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import type { MessagePort } from '../ports/message-port.js';
import type { RandomPort } from '../ports/random-port.js';
import type { TimerPort } from '../ports/timer-port.js';
import { decodeEnvelope, ENVELOPE_OVERHEAD, encodeEnvelope } from '../protocol/envelope.js';
import { FRAGMENT_HEADER_BYTES, fragment, Reassembler } from '../protocol/fragments.js';
import { MessageType } from '../protocol/message-type.js';
import { decodeDelta, decodeDigest } from '../protocol/sync-codec.js';
import { parseInvite } from '../security/invite-token.js';
import { Keyring } from '../security/keyring.js';
import { MessageSealer, type SealerStats } from '../security/message-sealer.js';
import { MemoryStore } from '../storage/memory-store.js';
import { varintSize } from '../wire/byte-writer.js';
import { Channel } from './channel.js';
import { encodeMembers, loadChannel } from './channel-loader.js';
import { ChannelState } from './channel-state.js';
import { type CoordinatorConfig, type CoordinatorConfigInput, resolveConfig } from './config.js';
import { ErrorReporter } from './error-reporter.js';
import { EventStream } from './event-stream.js';
import type { NodeContext } from './node-context.js';
import { incarnationOperation, loadNodeMeta, nodeMetaOperations } from './node-meta.js';
import { type MembershipService, PeerListMembership } from './peer-list-membership.js';
import { PROFILES, type Profile } from './profiles.js';
import { SyncEngine, type SyncStats } from './sync-engine.js';

/** How to build a {@link Coordinator}: ports plus optional identity, secret and tuning. */
export interface CoordinatorOptions {
  /** This node's id. Default: the id stored in `storage`, or a fresh random 128-bit id. */
  readonly id?: string;
  /**
   * The transport, or a function that opens it once the node's id is known (a transport that
   * frames datagrams with the sender's id needs it, and the id may live in `storage`). Use
   * `ports` to bridge several, e.g. UDP on the LAN plus a WebSocket hub.
   */
  readonly port?: PortSource;
  readonly ports?: readonly PortSource[];
  /** Time and scheduling. */
  readonly timers: TimerPort;
  /** Randomness for peer choice and jitter. Default: the platform CSPRNG. */
  readonly random?: RandomPort;
  /** Durable state. Default: a {@link MemoryStore} (nothing survives the process). */
  readonly storage?: KeyValueStore;
  /**
   * The network secret: 32 bytes, a `shoal://` invite token, or a {@link Keyring} (for key
   * rotation). Without one the node runs in explicit, visible *open* mode: nothing is encrypted
   * or authenticated.
   */
  readonly secret?: Uint8Array | string | Keyring;
  readonly config?: CoordinatorConfigInput;
  /**
   * The XChaCha20-Poly1305 implementation that seals messages. Default: `@noble/ciphers` (pure
   * JS, every platform); `@shoal/node` passes a faster OpenSSL-backed one.
   */
  readonly aead?: Aead;
  /**
   * The DEFLATE implementation for message bodies. Default: `fflate` (pure JS, every
   * platform); `@shoal/node` passes Node's zlib, about twice as fast.
   */
  readonly compression?: Compression;
  /**
   * SWIM tuning: any field of the profile's preset may be overridden alone. `false` turns SWIM
   * off: the members are the peers the transports report or {@link Coordinator.addPeer} adds,
   * and nothing but sync messages is sent (a plain two-party sync).
   */
  readonly membership?: Partial<MembershipConfig> | false;
  /**
   * Timing presets for membership and sync (see {@link PROFILES}); default `'lan'`. Fields of
   * `config` and `membership` override the preset's.
   */
  readonly profile?: Profile;
  /**
   * Opens `storage` under a new node id even when it belongs to another node: for a copied data
   * directory (a clone, a restored backup running beside the original). The copy keeps the
   * data and vouches for what the original wrote, but writes, seals and gossips as a node of
   * its own, so the two never share an id, a timestamp or a nonce space.
   */
  readonly newIdentity?: boolean;
}

/** Options of {@link Coordinator.syncNow}. */
export interface SyncNowOptions {
  /**
   * How long to wait for the peers' answers, in ms of the node's clock. Default
   * `10 × gossipInterval + 2000`. The digest is resent every `pullTimeout` meanwhile, so lost
   * messages only cost time.
   */
  readonly timeout?: number;
}

/** What {@link Coordinator.syncNow} did with one peer. */
export interface PeerSyncResult {
  readonly peer: NodeId;
  /** Channels whose round with this peer completed: this node now holds what the peer held. */
  readonly synced: readonly string[];
  /**
   * Channels the peer did not answer for in time: it has not opened them (a peer never answers
   * for a channel it does not hold), or their messages were lost until the timeout.
   */
  readonly unanswered: readonly string[];
}

/** Options of {@link Coordinator.stop} and {@link Coordinator.dispose}. */
export interface StopOptions {
  /**
   * Tell the group this node is leaving (default true): members record it as `left` at once
   * instead of suspecting it and declaring it dead seconds later. It waits on no timer.
   */
  readonly leave?: boolean;
}

/** A transport, or a function opening one for this node's id. */
export type PortSource = MessagePort | ((id: NodeId) => MessagePort | Promise<MessagePort>);

/** Lifecycle state of a node. */
export type NodeState = 'created' | 'running' | 'paused' | 'stopped' | 'disposed';

/** Everything `node.events` reports. */
export type NodeEvent =
  | { readonly type: 'state'; readonly state: NodeState }
  | { readonly type: 'peer-up' | 'peer-down'; readonly peer: NodeId }
  | {
      readonly type: 'joined' | 'suspect' | 'alive' | 'dead' | 'left' | 'leader-changed';
      readonly peer: NodeId;
      readonly incarnation: number;
    }
  | { readonly type: 'open-mode'; readonly message: string };

/** A health summary; `healthy` is what a readiness probe should check. */
export interface NodeHealth {
  readonly id: NodeId;
  readonly state: NodeState;
  readonly healthy: boolean;
  /** `'open'` means nothing is encrypted or authenticated. */
  readonly mode: 'sealed' | 'open';
  readonly peers: number;
  readonly sealing: SealerStats;
  readonly errors: Record<string, number>;
  /** Inbound messages that were authenticated but did not decode or failed in a handler. */
  readonly badMessages: number;
}

/** Resource counts, for dashboards and limits. */
export interface ResourceUsage {
  readonly channels: number;
  readonly maps: number;
  readonly streams: number;
  readonly keys: number;
  readonly tombstones: number;
  readonly streamEntries: number;
  /** Stream entries held back behind a gap. */
  readonly heldEntries: number;
  readonly pendingWrites: number;
  readonly peers: number;
  readonly sync: Readonly<SyncStats>;
}

/**
 * A Shoal node: replicas of the channels it opened, kept in sync with every peer it can reach,
 * with no server and no leader (docs/design.md §6).
 *
 * ```ts
 * const node = await Coordinator.create({ port, timers });
 * await node.start();
 * const settings = (await node.channel('home')).map('settings');
 * await settings.set('lights', true);
 * ```
 *
 * Guarantees: reads are local and synchronous; a write's promise resolves once it is durable
 * in `storage`; replicas that have exchanged messages directly or through others converge to
 * the same state whatever the network lost, duplicated or reordered. Inbound bytes never throw
 * out of a handler: bad messages are dropped, counted and (rate-limited) reported on
 * {@link Coordinator.errors}. Nothing is sent in answer to a message that did not authenticate.
 */
export class Coordinator implements AsyncDisposable {
  /** Lifecycle, peer and membership events. */
  readonly events = new EventStream<NodeEvent>();
  readonly #errors: ErrorReporter;
  readonly #id: NodeId;
  readonly #ports: readonly MessagePort[];
  readonly #timers: TimerPort;
  readonly #random: RandomPort;
  readonly #storage: KeyValueStore;
  readonly #config: CoordinatorConfig;
  readonly #hlc: Hlc;
  readonly #sealer: MessageSealer;
  readonly #writes: WriteQueue;
  readonly #engine: SyncEngine;
  readonly #membership: MembershipService;
  readonly #channels = new Map<string, ChannelState>();
  readonly #channelFacades = new Map<string, Promise<Channel>>();
  /** Peers and the port each is reached through. */
  readonly #peers = new Map<NodeId, MessagePort>();
  readonly #unsubscribe: (() => void)[] = [];
  #state: NodeState = 'created';
  #changeSeq: number;
  #badMessages = 0;
  #cancelHello: (() => void) | undefined;
  #cancelCompaction: (() => void) | undefined;
  readonly #reassembler: Reassembler;
  /** How well delta bodies deflate lately (raw ÷ sent); starts where typical JSON-ish data lands. */
  #deltaCompression = 2;
  readonly #compression: Compression;

  private constructor(
    options: CoordinatorOptions,
    ports: readonly MessagePort[],
    meta: Awaited<ReturnType<typeof loadNodeMeta>>,
    config: CoordinatorConfig,
  ) {
    this.#id = meta.id;
    this.#ports = ports;
    this.#timers = options.timers;
    this.#random = options.random ?? cryptoRandom;
    this.#storage = options.storage as KeyValueStore;
    this.#config = config;
    this.#compression = options.compression ?? fflateCompression;
    this.#errors = new ErrorReporter(this.#timers, config.errorRateLimit);
    this.#reassembler = new Reassembler({
      // One largest value or payload, plus its entry's framing.
      maxMessageBytes: Math.max(config.limits.maxValueBytes, config.limits.maxPayloadBytes) + 16 * 1024,
      maxPendingBytes: config.limits.maxPendingFragmentBytes,
      // Long enough for the pieces of several anti-entropy rounds to meet.
      timeoutMs: 100 * config.gossipInterval + 10_000,
    });
    this.#hlc = new Hlc({ wallClock: () => this.#timers.now(), maxDrift: config.maxDrift, last: meta.hlc });
    this.#changeSeq = meta.changeSeq;
    this.#sealer = new MessageSealer({
      networkId: config.network,
      self: this.#id,
      epoch: meta.epoch,
      keyring: keyringFrom(options.secret, config.network),
      ...(options.aead === undefined ? {} : { aead: options.aead }),
    });
    this.#writes = new WriteQueue(
      this.#storage,
      (error) => this.#errors.report(error),
      () => nodeMetaOperations(this.#hlc.last, this.#changeSeq),
    );
    const localAddress = this.#ports.find((port) => port.localAddress !== undefined)?.localAddress;
    const profile = PROFILES[options.profile ?? 'lan'];
    this.#membership =
      options.membership === false
        ? new PeerListMembership(this.#id, (peer) => this.#peers.has(peer))
        : new Membership({
            self: this.#id,
            timers: this.#timers,
            random: this.#random,
            send: (to, body) => this.#send(to, MessageType.Membership, body),
            config: profile.membership(options.membership),
            incarnation: meta.incarnation,
            onIncarnation: (incarnation) => {
              this.#writes.write(incarnationOperation(incarnation)).catch(() => {});
            },
            ...(localAddress === undefined ? {} : { localAddress }),
            onAddress: (peer, address) => this.#learnAddress(peer, address),
          });
    this.#membership.onEvent((event) => this.#onMembership(event));
    this.#engine = new SyncEngine({
      self: this.#id,
      channels: this.#channels,
      timers: this.#timers,
      random: this.#random,
      config,
      peers: () => this.#livePeers(),
      sendDigest: (to, body) => this.#send(to, MessageType.Digest, body),
      sendDelta: (to, body) => this.#send(to, MessageType.Delta, body),
      budget: () => this.#bodyBudget(),
      // Aim a little under the observed ratio (the budget keeps room for gossip, which a full
      // chunk leaves out), and never beyond 5×, so chunks rarely need fragments. Bigger chunks
      // deflate better: 9.5 B per small map entry at 3.3 KB, 11.8 B at 1.1 KB.
      deltaBudget: () =>
        Math.floor(this.#bodyBudget() * Math.min(5, Math.max(1, this.#deltaCompression * 0.9))),
      isFresh: (channel) => this.#isFresh(channel),
      meetPeer: (channel, peerFresh) => this.#refreshIfStale(channel, peerFresh),
      afterPull: (channel, peerFresh) => {
        // A stale replica becomes fresh only through a fresh peer (or its own refresh).
        if (peerFresh || !this.#isStale(channel)) this.#markSynced(channel, this.#timers.now());
      },
    });
  }

  /**
   * Creates a node: loads (or creates) its identity and clock from `storage` and makes the new
   * boot epoch durable. Call {@link Coordinator.start} to begin syncing.
   * @throws ShoalError `INVALID_ARGUMENT` / `INVALID_ID` / `INVALID_SECRET` for bad options,
   * `CORRUPT_DATA` for unreadable storage.
   */
  static async create(options: CoordinatorOptions): Promise<Coordinator> {
    if (options === null || typeof options !== 'object' || options.timers === undefined) {
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        'Coordinator.create needs options with a TimerPort `timers`',
      );
    }
    if (options.port !== undefined && options.ports !== undefined) {
      throw new ShoalError(ErrorCode.InvalidArgument, 'pass either `port` or `ports`, not both');
    }
    // An invite names its network; use it unless the config names one explicitly.
    const inviteNetwork =
      typeof options.secret === 'string' ? parseInvite(options.secret).networkId : undefined;
    if (options.profile !== undefined && !Object.hasOwn(PROFILES, options.profile)) {
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        `unknown profile ${JSON.stringify(options.profile)}: use 'lan', 'wan' or 'local'`,
      );
    }
    const config = resolveConfig({
      ...PROFILES[options.profile ?? 'lan'].sync,
      ...options.config,
      ...(options.config?.network === undefined && inviteNetwork !== undefined
        ? { network: inviteNetwork }
        : {}),
    });
    const storage = options.storage ?? new MemoryStore();
    const meta = await loadNodeMeta(
      storage,
      options.id,
      options.random ?? cryptoRandom,
      options.newIdentity === true,
    );
    const sources = options.ports ?? (options.port === undefined ? [] : [options.port]);
    const ports = await Promise.all(
      sources.map((source) => (typeof source === 'function' ? source(meta.id) : source)),
    );
    return new Coordinator({ ...options, storage }, ports, meta, config);
  }

  /** This node's id. */
  get id(): NodeId {
    return this.#id;
  }

  get state(): NodeState {
    return this.#state;
  }

  /** Errors worth knowing about (bad packets, clock drift, storage failures), rate-limited per code. */
  get errors(): EventStream<ShoalError> {
    return this.#errors.stream;
  }

  /** Starts syncing: listens on the ports, gossips, probes members. Idempotent while running. */
  async start(): Promise<void> {
    this.#assertOpen();
    if (this.#state === 'running' || this.#state === 'paused') return;
    for (const port of this.#ports) {
      this.#unsubscribe.push(
        port.onMessage((from, bytes, source) => this.#receive(port, from, bytes, source)),
        port.onPeer((peer, change) => this.#transportPeer(port, peer, change)),
      );
    }
    if (this.#sealer.mode === 'open') {
      this.events.emit({
        type: 'open-mode',
        message: 'no secret given: messages are neither encrypted nor authenticated (open mode)',
      });
    }
    this.#setState('running');
    this.#engine.start();
    this.#membership.start();
    this.#announce();
    this.#compact();
  }

  /** Stops gossip and ignores inbound messages until {@link Coordinator.resume}; local reads and writes go on. */
  async pause(): Promise<void> {
    this.#assertOpen();
    if (this.#state !== 'running') return;
    this.#engine.stop();
    this.#membership.stop();
    this.#cancelHello?.();
    this.#setState('paused');
  }

  async resume(): Promise<void> {
    this.#assertOpen();
    if (this.#state !== 'paused') return;
    this.#setState('running');
    this.#engine.start();
    this.#membership.start();
    this.#announce();
  }

  /**
   * Leaves the group gracefully (unless `options.leave` is false) and stops syncing; every
   * write made so far is durable when it resolves. Bounded: it waits on no timer and no peer,
   * only on storage finishing the writes already queued.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.#state !== 'running' && this.#state !== 'paused') return;
    if (this.#state === 'running' && options.leave !== false) await this.#membership.leave();
    this.#engine.stop();
    this.#membership.stop();
    this.#cancelHello?.();
    this.#cancelCompaction?.();
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.#writes.flush();
    this.#setState('stopped');
  }

  /**
   * Stops, ends every `watch()`, and closes the ports and the storage. Idempotent. Before
   * closing, each map's own synced clock is stored (it is otherwise rebuilt from the clock's
   * high-water mark on load), so a copy of the store loaded by another node (a restored backup,
   * a seeded replica) vouches for this node's writes instead of resending them. Bounded as
   * {@link Coordinator.stop} is, plus closing the ports and the storage.
   */
  async dispose(options: StopOptions = {}): Promise<void> {
    if (this.#state === 'disposed') return;
    await this.stop(options);
    // Own writes raise the own clock once durable: settle them before reading it.
    await this.#writes.flush();
    for (const channel of this.#channels.values()) {
      for (const [name, map] of channel.maps) {
        const clock = encodeTimestampRecord(map.replica.clockOf(this.#id));
        this.#writes
          .write({ type: 'put', key: mapClockKey(channel.name, name, this.#id), value: clock })
          .catch(() => {});
      }
    }
    await this.#writes.flush();
    for (const channel of this.#channels.values()) channel.closeWatchers();
    this.#setState('disposed');
    await Promise.allSettled(this.#ports.map((port) => port.close()));
    await this.#storage.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /**
   * Opens the channel `name`, loading what storage holds of it; creates it empty when new.
   * Concurrent calls share one load and return the same instance.
   * @throws ShoalError `INVALID_ID` for a bad name, `CORRUPT_DATA` for unreadable storage.
   */
  async channel(name: string): Promise<Channel> {
    this.#assertOpen();
    const id = parseChannelId(name);
    let facade = this.#channelFacades.get(id);
    if (facade === undefined) {
      facade = this.#openChannel(id);
      this.#channelFacades.set(id, facade);
      facade.catch(() => this.#channelFacades.delete(id));
    }
    return facade;
  }

  /** Adds a peer by id (for transports without discovery, or to seed membership). */
  addPeer(id: string): void {
    this.#assertOpen();
    const peer = parseNodeId(id);
    const port = this.#ports[0];
    if (port === undefined)
      throw new ShoalError(ErrorCode.InvalidState, 'this node has no port to reach peers');
    this.#addPeer(peer, port);
  }

  /**
   * Runs a sync round now with `peer` (or with every peer it reaches) for every channel both
   * may sync, resending the digest each `pullTimeout` until answered or `options.timeout`.
   * Resolves, per peer, with the channels whose round completed (this node then holds what the
   * peer held when it answered, and has sent what the answer showed the peer lacks) and those
   * left unanswered. Rejects with `SYNC_TIMEOUT` when a peer answered for no channel at all,
   * `NO_PEERS` when called without a peer and none is reachable, `INVALID_ID` for a bad id,
   * `INVALID_STATE` unless running.
   */
  async syncNow(peer?: string, options: SyncNowOptions = {}): Promise<PeerSyncResult[]> {
    this.#assertOpen();
    if (this.#state !== 'running') {
      throw new ShoalError(ErrorCode.InvalidState, `syncNow needs a running node (it is ${this.#state})`);
    }
    const timeout = options.timeout ?? 10 * this.#config.gossipInterval + 2000;
    if (!(Number.isFinite(timeout) && timeout > 0)) {
      throw new ShoalError(ErrorCode.InvalidArgument, `syncNow timeout must be a positive number of ms`);
    }
    const peers = peer === undefined ? this.#livePeers() : [parseNodeId(peer)];
    if (peers.length === 0) throw new ShoalError(ErrorCode.NoPeers, 'syncNow: no peer is reachable');
    const results = await Promise.all(peers.map((each) => this.#engine.syncWith(each, timeout)));
    const silent = results.filter((result) => result.synced.length === 0 && result.unanswered.length > 0);
    if (silent.length > 0) {
      throw new ShoalError(
        ErrorCode.SyncTimeout,
        `no answer within ${timeout} ms from ${silent.map((result) => result.peer).join(', ')}`,
        { details: { peers: silent.map((result) => result.peer), timeout } },
      );
    }
    return results;
  }

  /** Every member this node knows, with its SWIM state. */
  members(): MemberInfo[] {
    return this.#membership.members();
  }

  /**
   * The leader every node computes from its own membership view (the highest-ranked alive
   * member). Views agree once membership has converged; nothing in the data path depends on it.
   */
  leader(): NodeId {
    return this.#membership.leader();
  }

  health(): NodeHealth {
    const errors = this.#errors.counts();
    return {
      id: this.#id,
      state: this.#state,
      healthy: this.#state === 'running' && !('STORAGE' in errors),
      mode: this.#sealer.mode,
      peers: this.#livePeers().length,
      sealing: this.#sealer.stats(),
      errors,
      badMessages: this.#badMessages,
    };
  }

  resourceUsage(): ResourceUsage {
    let maps = 0;
    let streams = 0;
    let keys = 0;
    let tombstones = 0;
    let streamEntries = 0;
    let heldEntries = 0;
    for (const channel of this.#channels.values()) {
      for (const map of channel.maps.values()) {
        maps++;
        keys += map.replica.map.size;
        tombstones += map.replica.map.tombstones;
      }
      for (const stream of channel.streams.values()) {
        streams++;
        streamEntries += stream.replica.log.size;
        heldEntries += stream.replica.log.held;
      }
    }
    return {
      channels: this.#channels.size,
      maps,
      streams,
      keys,
      tombstones,
      streamEntries,
      heldEntries,
      pendingWrites: this.#writes.pending,
      peers: this.#livePeers().length,
      sync: { ...this.#engine.stats },
    };
  }

  /** Resolves once every write made so far is durable. */
  flush(): Promise<void> {
    return this.#writes.flush();
  }

  async #openChannel(name: string): Promise<Channel> {
    const state = new ChannelState(this.#context(), name);
    const high = await loadChannel(this.#storage, state);
    this.#hlc.observe(high);
    // Every own write that ever became durable is at or below the clock's high-water mark.
    for (const map of state.maps.values()) map.replica.raiseClock(this.#id, this.#hlc.last);
    this.#channels.set(name, state);
    return new Channel({
      state,
      syncStatus: () => this.#engine.syncStatus(state),
      flush: () => this.#writes.flush(),
      maxImportBytes: this.#config.limits.maxImportBytes,
      saveMembers: () =>
        this.#writes.write({ type: 'put', key: channelMetaKey(name), value: encodeMembers(state.members) }),
      assertOpen: () => this.#assertOpen(),
    });
  }

  /** True when `channel` synced once, but not within the tombstone horizon. */
  #isStale(channel: ChannelState): boolean {
    return channel.lastSyncedAt !== undefined && !this.#isFresh(channel);
  }

  /** True when `channel` completed a sync within the tombstone horizon. */
  #isFresh(channel: ChannelState): boolean {
    const last = channel.lastSyncedAt;
    return last !== undefined && this.#timers.now() - last <= this.#config.tombstoneHorizon;
  }

  /**
   * A replica that has not completed a sync for longer than the tombstone horizon may hold
   * entries whose deletes were purged elsewhere. When it meets a fresh peer (one that synced
   * within the horizon, so it has seen every delete it purged), it drops every entry older than
   * the horizon and fetches the state again, before it sends any entry. Two stale replicas meeting
   * each other have no such authority and sync as they are (see `tombstoneHorizon`).
   */
  #refreshIfStale(channel: ChannelState, peerFresh: boolean): void {
    if (!peerFresh || channel.lastSyncedAt === undefined || this.#isFresh(channel)) return;
    const now = this.#timers.now();
    channel.dropOlderThan(now - this.#config.tombstoneHorizon);
    this.#markSynced(channel, now);
  }

  #markSynced(channel: ChannelState, at: number): void {
    channel.lastSyncedAt = at;
    this.#writes
      .write({
        type: 'put',
        key: channelSyncKey(channel.name),
        value: encodeCounterRecord(Math.max(0, Math.floor(at))),
      })
      .catch(() => {});
  }

  /** Purges tombstones older than the horizon, then schedules the next compaction. */
  #compact(): void {
    const cutoff = this.#timers.now() - this.#config.tombstoneHorizon;
    for (const channel of this.#channels.values()) channel.purgeTombstones(cutoff);
    this.#cancelCompaction = this.#timers.setTimeout(() => this.#compact(), this.#config.compactionInterval);
  }

  #context(): NodeContext {
    return {
      self: this.#id,
      hlc: this.#hlc,
      config: this.#config,
      writes: this.#writes,
      nextChangeSeq: () => ++this.#changeSeq,
      pushLocal: (channel, object) => this.#engine.pushLocal(channel, object.kind, object.name, object.entry),
      reportError: (error) => this.#errors.report(error),
      assertOpen: () => this.#assertOpen(),
    };
  }

  #receive(port: MessagePort, from: NodeId, bytes: Uint8Array, source: Uint8Array | undefined): void {
    if (this.#state !== 'running') return;
    const opened = this.#sealer.open(bytes, from);
    if (!opened.ok) {
      if (
        opened.reason === 'auth-failed' ||
        opened.reason === 'unknown-key' ||
        opened.reason === 'mode-mismatch'
      ) {
        this.#errors.report(
          new ShoalError(
            ErrorCode.AuthFailed,
            `dropped a message claiming to be from ${from}: ${opened.reason}`,
          ),
        );
      }
      return;
    }
    try {
      // Authenticated from here on: the sender and its address can be trusted.
      if (source !== undefined) port.addPeerAddress?.(from, source);
      this.#addPeer(from, port);
      this.#membership.noteAlive(from);
      this.#dispatch(from, opened.body, true);
    } catch (error) {
      // A handler bug must not take the node down; count it and tell the application.
      this.#badMessage(from, isShoalError(error) ? error.message : String(error));
    }
  }

  /** Handles an authenticated envelope; `mayBeFragment` is false for one rebuilt from fragments. */
  #dispatch(from: NodeId, bytes: Uint8Array, mayBeFragment: boolean): void {
    const envelope = decodeEnvelope(bytes, this.#compression);
    if (!envelope.ok) {
      this.#badMessage(from, envelope.error);
      return;
    }
    const { type, body, piggyback } = envelope.value;
    if (piggyback.length > 0) this.#membership.handlePiggyback(from, piggyback);
    switch (type) {
      case MessageType.Digest: {
        const digest = decodeDigest(body, { sender: from, receiver: this.#id });
        if (digest.ok) this.#engine.handleDigest(from, digest.value);
        else this.#badMessage(from, digest.error);
        return;
      }
      case MessageType.Delta: {
        const delta = decodeDelta(body, { sender: from, receiver: this.#id });
        if (delta.ok) this.#engine.handleDelta(from, delta.value);
        else this.#badMessage(from, delta.error);
        return;
      }
      case MessageType.Membership:
        this.#membership.handleMessage(from, body);
        return;
      case MessageType.Hello:
        return; // the peer is known now; nothing else to do
      case MessageType.Fragment: {
        if (!mayBeFragment) {
          this.#badMessage(from, 'a fragment inside a fragment');
          return;
        }
        const whole = this.#reassembler.add(from, body, this.#timers.monotonic());
        if (whole !== undefined) this.#dispatch(from, whole, false);
        return;
      }
    }
  }

  #badMessage(from: NodeId, reason: string): void {
    this.#badMessages++;
    this.#errors.report(new ShoalError(ErrorCode.DecodeFailed, `dropped a message from ${from}: ${reason}`));
  }

  #send(to: NodeId, type: MessageType, body: Uint8Array): void {
    const port = this.#peers.get(to) ?? this.#ports[0];
    if (port === undefined || this.#state !== 'running') return;
    const datagram = port.maxMessageSize - this.#sealer.overhead;
    const room = datagram - ENVELOPE_OVERHEAD - body.length;
    const piggyback = room > 16 ? this.#membership.takePiggyback(room - varintSize(room)) : undefined;
    const envelope = encodeEnvelope(type, body, piggyback, this.#compression);
    if (type === MessageType.Delta && body.length >= 512) {
      // How well deltas compress lately (an exponential moving average of raw ÷ sent).
      this.#deltaCompression = 0.8 * this.#deltaCompression + 0.2 * (body.length / envelope.length);
    }
    if (envelope.length <= datagram) {
      port.send(to, this.#sealer.seal(envelope));
      return;
    }
    // Only an entry larger than a datagram gets here. No gossip rides along, so the same content
    // makes the same fragments every time and retransmissions complete each other.
    const pieceBytes = datagram - ENVELOPE_OVERHEAD - FRAGMENT_HEADER_BYTES;
    for (const piece of fragment(encodeEnvelope(type, body, undefined, this.#compression), pieceBytes)) {
      port.send(to, this.#sealer.seal(encodeEnvelope(MessageType.Fragment, piece)));
    }
  }

  /** Largest sync body: the smallest port's datagram, less sealing and envelope, less room for gossip. */
  #bodyBudget(): number {
    const smallest = Math.min(...this.#ports.map((port) => port.maxMessageSize));
    const gossipRoom = Math.min(256, Math.floor(smallest / 8));
    return smallest - this.#sealer.overhead - ENVELOPE_OVERHEAD - 3 - gossipRoom;
  }

  /**
   * Discovery. A transport that needs addresses (UDP) reports peers from unauthenticated
   * datagrams, so its hints are ignored: such peers are added only once a sealed message from
   * them opens. Address-free transports (memory, WebSocket hub) are trusted for discovery.
   */
  #transportPeer(port: MessagePort, peer: NodeId, change: 'up' | 'down'): void {
    if (this.#state !== 'running' || peer === this.#id) return;
    if (port.addPeerAddress !== undefined) return;
    if (change === 'up') this.#addPeer(peer, port);
    else this.#removePeer(peer);
  }

  #addPeer(peer: NodeId, port: MessagePort): void {
    if (peer === this.#id) return;
    const known = this.#peers.has(peer);
    if (!known && this.#peers.size >= this.#config.limits.maxPeers) return;
    this.#peers.set(peer, port);
    if (known) return;
    this.#membership.addSeed(peer);
    this.events.emit({ type: 'peer-up', peer });
    this.#engine.peerUp();
  }

  #removePeer(peer: NodeId): void {
    if (!this.#peers.delete(peer)) return;
    this.events.emit({ type: 'peer-down', peer });
  }

  /** Peers to gossip with: known peers that membership does not believe dead or gone. */
  #livePeers(): NodeId[] {
    const states = new Map(this.#membership.members().map((member) => [member.id, member.state]));
    return [...this.#peers.keys()].filter((peer) => {
      const state = states.get(peer);
      return state === undefined || state === 'alive' || state === 'suspect';
    });
  }

  #learnAddress(peer: NodeId, address: Uint8Array): void {
    for (const port of this.#ports) {
      if (port.addPeerAddress === undefined) continue;
      port.addPeerAddress(peer, address);
      if (!this.#peers.has(peer)) this.#addPeer(peer, port);
    }
  }

  #onMembership(event: { type: NodeEvent['type']; peer: NodeId; incarnation: number }): void {
    this.events.emit(event as NodeEvent);
    if (event.type === 'joined' || event.type === 'alive') this.#engine.peerUp();
  }

  /**
   * Hands each discovery-capable port a fresh sealed hello to announce, re-sealed every 10 s
   * (peers drop a repeated seal as a replay, so one that restarts needs a fresh one).
   */
  #announce(): void {
    const ports = this.#ports.filter(
      (port) => typeof (port as AnnouncingPort).setAnnouncement === 'function',
    );
    if (ports.length === 0) return;
    const hello = this.#sealer.seal(encodeEnvelope(MessageType.Hello, new Uint8Array()));
    for (const port of ports) (port as AnnouncingPort).setAnnouncement(hello);
    this.#cancelHello = this.#timers.setTimeout(() => this.#announce(), 10_000);
  }

  #setState(state: NodeState): void {
    this.#state = state;
    this.events.emit({ type: 'state', state });
  }

  #assertOpen(): void {
    if (this.#state === 'disposed') throw new ShoalError(ErrorCode.Closed, 'this node was disposed');
  }
}

/** A transport that multicasts an announcement for discovery (UdpTransport). */
interface AnnouncingPort extends MessagePort {
  setAnnouncement(bytes: Uint8Array | undefined): void;
}

function keyringFrom(secret: CoordinatorOptions['secret'], network: string): Keyring | 'open' {
  if (secret === undefined) return 'open';
  if (secret instanceof Keyring) return secret;
  if (typeof secret === 'string') {
    const invite = parseInvite(secret);
    if (invite.networkId !== network) {
      throw new ShoalError(
        ErrorCode.InvalidSecret,
        `the invite is for network ${JSON.stringify(invite.networkId)}; set config.network to it`,
      );
    }
    return new Keyring(network, [invite.secret]);
  }
  return new Keyring(network, [secret]);
}
