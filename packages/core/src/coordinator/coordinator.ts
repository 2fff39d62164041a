import { Hlc } from '../clock/hlc.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { parseChannelId } from '../ids/channel-id.js';
import { type NodeId, parseNodeId } from '../ids/node-id.js';
import type { MemberInfo } from '../membership/member-state.js';
import { Membership } from '../membership/membership.js';
import { encodeTimestampRecord } from '../persistence/records.js';
import { channelMetaKey, mapClockKey } from '../persistence/storage-keys.js';
import { WriteQueue } from '../persistence/write-queue.js';
import { fflateCompression } from '../ports/compression.js';
import { cryptoRandom } from '../ports/crypto-random.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import type { MessagePort } from '../ports/message-port.js';
import { nobleEd25519 } from '../ports/signer.js';
import type { TimerPort } from '../ports/timer-port.js';
import { MessageType } from '../protocol/message-type.js';
import { decodeDelta, decodeDigest } from '../protocol/sync-codec.js';
import { MessageSealer } from '../security/message-sealer.js';
import { PeerKeys } from '../security/peer-keys.js';
import { readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { Channel } from './channel.js';
import { encodeMembers, loadChannel } from './channel-loader.js';
import { ChannelState, countObjects } from './channel-state.js';
import type { CoordinatorConfig } from './config.js';
import { Courier } from './courier.js';
import { ErrorReporter } from './error-reporter.js';
import { EventStream } from './event-stream.js';
import type { NodeContext } from './node-context.js';
import { epochOperation, incarnationOperation, nodeMetaOperations } from './node-meta.js';
import { type NodeSetup, setUpNode } from './node-setup.js';
import type {
  CoordinatorOptions,
  NodeEvent,
  NodeHealth,
  NodeState,
  NodeStats,
  PeerSyncResult,
  ResourceUsage,
  StopOptions,
  SyncNowOptions,
} from './node-types.js';
import { PeerDirectory } from './peer-directory.js';
import { type MembershipService, PeerListMembership } from './peer-list-membership.js';
import { PeerMemoryKeeper } from './peer-memory.js';
import { PROFILES } from './profiles.js';
import { ReplayFloorKeeper } from './replay-floors.js';
import { SyncEngine } from './sync-engine.js';
import { TombstoneHorizon } from './tombstone-horizon.js';

const OPEN_MODE_WARNING = 'no secret given: messages are neither encrypted nor authenticated (open mode)';

/**
 * A Shoal node: replicas of the channels it opened, kept in sync with every peer it can reach,
 * with no server and no leader (docs/design.md §6). A thin facade: the courier moves messages,
 * the peer directory knows who is reachable, membership runs SWIM, the sync engine reconciles,
 * the tombstone horizon forgets deletes, and the write queue persists (docs/architecture.md).
 *
 * ```ts
 * const node = await createNode({ port, timers });
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
  readonly #id: NodeId;
  readonly #publicKey: Uint8Array;
  readonly #ports: readonly MessagePort[];
  readonly #storage: KeyValueStore;
  readonly #config: CoordinatorConfig;
  readonly #errors: ErrorReporter;
  readonly #hlc: Hlc;
  readonly #sealer: MessageSealer;
  /** This node's identity and its peers' keys; absent in open mode (nothing to pair-seal). */
  readonly #keys: PeerKeys | undefined;
  readonly #writes: WriteQueue;
  readonly #replayFloors: ReplayFloorKeeper;
  readonly #peerMemory: PeerMemoryKeeper;
  #unsubscribeKeyring: (() => void) | undefined;
  readonly #courier: Courier;
  readonly #peers: PeerDirectory;
  readonly #membership: MembershipService;
  readonly #engine: SyncEngine;
  readonly #horizon: TombstoneHorizon;
  readonly #channels = new Map<string, ChannelState>();
  readonly #channelFacades = new Map<string, Promise<Channel>>();
  readonly #unsubscribe: (() => void)[] = [];
  #state: NodeState = 'created';
  #changeSeq: number;
  /** Channels opened for peers (`joinChannelsOnDemand`), counted against `limits.maxChannels`. */
  #joinedOnDemand = 0;
  /** When each peer was last told its boot epoch is stale (monotonic ms). */
  readonly #epochNotices = new Map<NodeId, number>();
  readonly #timers: TimerPort;

  private constructor(options: CoordinatorOptions, setup: NodeSetup) {
    const { config, meta, ports } = setup;
    const timers = options.timers;
    const random = options.random ?? cryptoRandom;
    this.#id = meta.id;
    this.#publicKey = (options.signer ?? nobleEd25519).publicKey(meta.identityKey);
    this.#timers = timers;
    this.#ports = ports;
    this.#storage = setup.storage;
    this.#config = config;
    this.#changeSeq = meta.changeSeq;
    this.#errors = new ErrorReporter(timers, config.errorRateLimit);
    this.#hlc = new Hlc({ wallClock: () => timers.now(), maxDrift: config.maxDrift, last: meta.hlc });
    this.#keys =
      setup.keyring === 'open' ? undefined : new PeerKeys(meta.identityKey, () => timers.monotonic());
    this.#sealer = new MessageSealer({
      networkId: config.network,
      self: this.#id,
      epoch: meta.epoch,
      keyring: setup.keyring,
      ...(this.#keys === undefined ? {} : { identity: this.#keys }),
      now: () => timers.monotonic(),
      ...(options.aead === undefined ? {} : { aead: options.aead }),
    });
    this.#writes = new WriteQueue(
      this.#storage,
      (error) => this.#errors.report(error),
      () => nodeMetaOperations(this.#hlc.last, this.#changeSeq),
    );
    this.#peers = new PeerDirectory({
      self: this.#id,
      ports,
      maxPeers: config.limits.maxPeers,
      members: () => this.#membership.members(),
      up: (peer) => {
        this.#membership.addSeed(peer);
        this.events.emit({ type: 'peer-up', peer });
        this.#engine.peerUp();
      },
      down: (peer) => this.events.emit({ type: 'peer-down', peer }),
    });
    this.#courier = new Courier({
      sealer: this.#sealer,
      keys: this.#keys,
      compression: options.compression ?? fflateCompression,
      timers,
      config,
      errors: this.#errors,
      ports,
      portFor: (peer) => this.#peers.portFor(peer),
      takePiggyback: (maxBytes) => this.#membership.takePiggyback(maxBytes),
      handlePiggyback: (from, bytes) => this.#membership.handlePiggyback(from, bytes),
      authenticated: (from, port, source) => {
        this.#peers.heard(from, port, source);
        this.#membership.noteAlive(from);
      },
      staleEpoch: (from, knownEpoch) => this.#tellStaleEpoch(from, knownEpoch),
    });
    this.#membership = this.#createMembership(options, setup);
    this.#membership.onEvent((event) => {
      this.events.emit(event as NodeEvent);
      if (event.type === 'joined' || event.type === 'alive') this.#engine.peerUp();
    });
    this.#horizon = new TombstoneHorizon({ timers, config, writes: this.#writes, channels: this.#channels });
    this.#replayFloors = new ReplayFloorKeeper(this.#sealer, this.#writes, timers);
    if (setup.keyring !== 'open') {
      this.#unsubscribeKeyring = setup.keyring.onChange((change) =>
        this.events.emit({ type: 'key-rotation', ...change }),
      );
    }
    this.#engine = new SyncEngine({
      self: this.#id,
      channels: this.#channels,
      timers,
      random,
      config,
      peers: () => this.#peers.live(),
      members: () => this.#membership.aliveMembers(),
      leaf: options.membership !== false && options.membership?.leaf === true,
      sendDigest: (to, body) => this.#courier.send(to, MessageType.Digest, body),
      sendDelta: (to, body) => this.#courier.send(to, MessageType.Delta, body),
      budget: () => this.#courier.bodyBudget(),
      deltaBudget: () => this.#courier.deltaBudget(),
      isFresh: (channel) => this.#horizon.isFresh(channel),
      meetPeer: (channel, peerFresh) => this.#horizon.meet(channel, peerFresh),
      afterPull: (channel, peerFresh) => this.#horizon.pulled(channel, peerFresh),
      unknownChannel: (name) => this.#joinOnDemand(name),
      report: (error) => this.#errors.report(error),
    });
    this.#peerMemory = new PeerMemoryKeeper(this.#engine.memory, this.#writes, timers);
    const peers = (from: NodeId) => ({ sender: from, receiver: this.#id });
    this.#courier.on(MessageType.Digest, (from, body) => {
      const digest = decodeDigest(body, peers(from));
      if (digest.ok) this.#engine.handleDigest(from, digest.value);
      else this.#courier.badMessage(from, digest.error);
    });
    this.#courier.on(MessageType.Delta, (from, body) => {
      const delta = decodeDelta(body, peers(from));
      if (delta.ok) this.#engine.handleDelta(from, delta.value);
      else this.#courier.badMessage(from, delta.error);
    });
    this.#courier.on(MessageType.Membership, (from, body) => this.#membership.handleMessage(from, body));
    this.#courier.on(MessageType.EpochNotice, (from, body) => this.#onEpochNotice(from, body));
  }

  /**
   * Creates a node: loads (or creates) its identity and clock from `storage` and makes the new
   * boot epoch durable. Call {@link Coordinator.start} to begin syncing ({@link createNode} does
   * both). @throws ShoalError `INVALID_ARGUMENT` / `INVALID_ID` / `INVALID_SECRET` for bad
   * options, `CORRUPT_DATA` for unreadable storage.
   */
  static async create(options: CoordinatorOptions): Promise<Coordinator> {
    const node = new Coordinator(options, await setUpNode(options));
    await node.#replayFloors.restore(node.#storage);
    await node.#peerMemory.restore(node.#storage);
    return node;
  }

  /** This node's id. */
  get id(): NodeId {
    return this.#id;
  }

  /**
   * This node's Ed25519 public key (32 bytes, a copy): created with its storage and the same
   * for as long as the storage lives; a copy opened with `newIdentity` gets a key of its own.
   * Peers do not check it yet: authenticating messages and entries by it is issue 21's next step.
   */
  get publicKey(): Uint8Array {
    return this.#publicKey.slice();
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
        port.onMessage((from, bytes, source) => this.#courier.receive(port, from, bytes, source)),
        port.onPeer((peer, change) => this.#peers.transportPeer(port, peer, change)),
      );
    }
    if (this.#sealer.mode === 'open') {
      this.events.emit({ type: 'open-mode', message: OPEN_MODE_WARNING });
    }
    this.#run();
    this.#horizon.start();
    this.#replayFloors.start();
    this.#peerMemory.start();
  }

  /** Stops gossip and ignores inbound messages until {@link Coordinator.resume}; local reads and writes go on. */
  async pause(): Promise<void> {
    this.#assertOpen();
    if (this.#state !== 'running') return;
    this.#halt();
    this.#setState('paused');
  }

  async resume(): Promise<void> {
    this.#assertOpen();
    if (this.#state === 'paused') this.#run();
  }

  /**
   * Leaves the group gracefully (unless `options.leave` is false) and stops syncing; every
   * write made so far is durable when it resolves. Bounded: it waits on no timer and no peer,
   * only on storage finishing the writes already queued.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.#state !== 'running' && this.#state !== 'paused') return;
    if (this.#state === 'running' && options.leave !== false) await this.#membership.leave();
    this.#halt();
    this.#horizon.stop();
    this.#replayFloors.stop();
    this.#replayFloors.save();
    this.#peerMemory.stop();
    this.#peerMemory.save();
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    // A store that refuses writes (full) must not keep the node from stopping: the failure was
    // reported through `errors`, and what was not written was never acknowledged.
    await this.#writes.flush().catch(() => {});
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
    await this.#writes.flush().catch(() => {});
    for (const channel of this.#channels.values()) {
      for (const [name, map] of channel.maps) {
        const clock = encodeTimestampRecord(map.replica.clockOf(this.#id));
        this.#writes
          .write({ type: 'put', key: mapClockKey(channel.name, name, this.#id), value: clock })
          .catch(() => {});
      }
    }
    await this.#writes.flush().catch(() => {});
    for (const channel of this.#channels.values()) channel.closeWatchers();
    this.#unsubscribeKeyring?.();
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

  /** Names of the channels open on this node: opened by the application, or for peers (`joinChannelsOnDemand`). */
  channelNames(): string[] {
    return [...this.#channels.keys()].sort();
  }

  /** Adds a peer by id (for transports without discovery, or to seed membership). */
  addPeer(id: string): void {
    this.#assertOpen();
    const peer = parseNodeId(id);
    const port = this.#ports[0];
    if (port === undefined)
      throw new ShoalError(ErrorCode.InvalidState, 'this node has no port to reach peers');
    this.#peers.add(peer, port);
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
    const peers = peer === undefined ? this.#peers.live() : [parseNodeId(peer)];
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
      peers: this.#peers.live().length,
      sealing: this.#sealer.stats(),
      errors,
      badMessages: this.#courier.badMessages,
      throttled: this.#courier.throttled,
      warnings: this.#sealer.mode === 'open' ? [OPEN_MODE_WARNING] : [],
    };
  }

  /**
   * Counters since the node was created, for metrics and dashboards: messages and wire bytes
   * sent and received by message type, and SWIM's probes, suspicions and refutations.
   */
  stats(): NodeStats {
    return { traffic: this.#courier.traffic.snapshot(), membership: this.#membership.stats() };
  }

  resourceUsage(): ResourceUsage {
    const storage = this.#state === 'disposed' ? undefined : this.#storage.stats?.();
    return {
      channels: this.#channels.size,
      ...countObjects(this.#channels.values()),
      pendingWrites: this.#writes.pending,
      peers: this.#peers.live().length,
      sync: { ...this.#engine.stats },
      ...(storage === undefined ? {} : { storage }),
    };
  }

  /**
   * Resolves once every write made so far is durable; rejects (`STORAGE_FULL`, `STORAGE`) when
   * the store still refuses some of them (they stay queued and lead every later write).
   */
  flush(): Promise<void> {
    return this.#writes.flush();
  }

  #createMembership(options: CoordinatorOptions, { meta, ports }: NodeSetup): MembershipService {
    if (options.membership === false)
      return new PeerListMembership(this.#id, (peer) => this.#peers.has(peer));
    const localAddress = ports.find((port) => port.localAddress !== undefined)?.localAddress;
    return new Membership({
      self: this.#id,
      timers: options.timers,
      random: options.random ?? cryptoRandom,
      send: (to, body) => this.#courier.send(to, MessageType.Membership, body),
      config: PROFILES[options.profile ?? 'lan'].membership(options.membership),
      incarnation: meta.incarnation,
      onIncarnation: (incarnation) => {
        this.#writes.write(incarnationOperation(incarnation)).catch(() => {});
      },
      ...(localAddress === undefined ? {} : { localAddress }),
      onAddress: (peer, address) => this.#peers.learnAddress(peer, address),
    });
  }

  /**
   * A peer seals with a boot epoch older than one we saw from it (it was restored from a
   * backup, or someone replays its old traffic): tell it, at most once per 10 s per peer. The
   * notice goes to the address we already know for it, never to where the stale message came
   * from, so a replayer cannot aim it.
   */
  #tellStaleEpoch(peer: NodeId, knownEpoch: number): void {
    const now = this.#timers.monotonic();
    const last = this.#epochNotices.get(peer);
    if (last !== undefined && now - last < 10_000) return;
    this.#epochNotices.set(peer, now);
    if (this.#epochNotices.size > this.#config.limits.maxPeers) {
      this.#epochNotices.delete(this.#epochNotices.keys().next().value as NodeId);
    }
    this.#courier.send(peer, MessageType.EpochNotice, new ByteWriter(10).writeVarint(knownEpoch).finish());
  }

  /**
   * A peer has seen a newer boot epoch of ours than the one we seal with (not just the same
   * one): we were restored from a backup. Move past it (persisted first), so peers hear us
   * again. A jump of more than 2^20 epochs is not believed (no node restarts that often; a
   * keyed peer must not exhaust ours).
   */
  #onEpochNotice(from: NodeId, body: Uint8Array): void {
    const decoded = readAll(body, (reader) => reader.readBoundedVarint(Number.MAX_SAFE_INTEGER));
    if (!decoded.ok) {
      this.#courier.badMessage(from, decoded.error);
      return;
    }
    const seen = decoded.value;
    const current = this.#sealer.epoch;
    // A notice naming our current epoch answers an older message in our name (our own from
    // before a restart, still in flight, or a replay of it): peers hear us; nothing to move.
    if (seen <= current || seen - current > 2 ** 20) return;
    const next = seen + 1;
    this.#writes
      .write(epochOperation(next))
      .then(() => {
        this.#sealer.raiseEpoch(next);
        this.#courier.announce();
        this.#errors.report(
          new ShoalError(
            ErrorCode.DataReplaced,
            `peer ${from} had seen boot epoch ${seen} of this node, above its own ${current}: this store was restored from an older copy; moved to epoch ${next}`,
          ),
        );
      })
      .catch(() => {});
  }

  /** A peer syncs `name`: a node with `joinChannelsOnDemand` opens it (bounded), so it is served next round. */
  #joinOnDemand(name: string): void {
    if (!this.#config.joinChannelsOnDemand || this.#channelFacades.has(name)) return;
    if (this.#joinedOnDemand >= this.#config.limits.maxChannels) {
      this.#errors.report(
        new ShoalError(
          ErrorCode.LimitExceeded,
          `not opening channel ${JSON.stringify(name)}: maxChannels reached`,
        ),
      );
      return;
    }
    this.#joinedOnDemand++;
    this.channel(name).catch((error: unknown) => {
      this.#joinedOnDemand--;
      this.#errors.report(
        error instanceof ShoalError ? error : new ShoalError(ErrorCode.Storage, String(error)),
      );
    });
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

  #context(): NodeContext {
    return {
      self: this.#id,
      hlc: this.#hlc,
      config: this.#config,
      writes: this.#writes,
      nextChangeSeq: () => ++this.#changeSeq,
      pushLocal: (channel, object) =>
        this.#engine.pushLocal(channel, object.kind, object.name, object.entries),
      reportError: (error) => this.#errors.report(error),
      assertOpen: () => this.#assertOpen(),
    };
  }

  /** Starts (or resumes) every periodic subsystem. */
  #run(): void {
    this.#setState('running');
    this.#courier.setOpen(true);
    this.#engine.start();
    this.#membership.start();
    this.#courier.announce();
  }

  /** Stops every periodic subsystem; nothing is sent or handled after it. */
  #halt(): void {
    this.#engine.stop();
    this.#membership.stop();
    this.#courier.stopAnnouncing();
    this.#courier.setOpen(false);
  }

  #setState(state: NodeState): void {
    this.#state = state;
    this.events.emit({ type: 'state', state });
  }

  #assertOpen(): void {
    if (this.#state === 'disposed') throw new ShoalError(ErrorCode.Closed, 'this node was disposed');
  }
}
