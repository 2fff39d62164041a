import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { type NodeId, parseNodeId } from '../ids/node-id.js';
import type { MemberInfo } from '../membership/member-state.js';
import type { Channel } from './channel.js';
import { EventStream } from './event-stream.js';
import { assembleNode, type NodeParts } from './node-assembly.js';
import { OPEN_MODE_WARNING } from './node-reports.js';
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
  /** The subsystems, built and wired by {@link assembleNode}. */
  readonly #parts: NodeParts;
  /** Port subscriptions made by {@link Coordinator.start}, undone by {@link Coordinator.stop}. */
  readonly #unsubscribe: (() => void)[] = [];
  #state: NodeState = 'created';

  private constructor(options: CoordinatorOptions, setup: NodeSetup) {
    this.#parts = assembleNode(options, setup, {
      events: this.events,
      state: () => this.#state,
      assertOpen: () => this.#assertOpen(),
    });
  }

  /**
   * Creates a node: loads (or creates) its identity and clock from `storage` and makes the new
   * boot epoch durable. Call {@link Coordinator.start} to begin syncing ({@link createNode} does
   * both). @throws ShoalError `INVALID_ARGUMENT` / `INVALID_ID` / `INVALID_SECRET` for bad
   * options, `CORRUPT_DATA` for unreadable storage.
   */
  static async create(options: CoordinatorOptions): Promise<Coordinator> {
    const node = new Coordinator(options, await setUpNode(options));
    for (const keeper of node.#parts.keepers) await keeper.restore(node.#parts.storage);
    return node;
  }

  /** This node's id. */
  get id(): NodeId {
    return this.#parts.id;
  }

  /**
   * This node's Ed25519 public key (32 bytes, a copy): created with its storage and the same
   * for as long as the storage lives; a copy opened with `newIdentity` gets a key of its own.
   * Peers do not check it yet: authenticating messages and entries by it is issue 21's next step.
   */
  get publicKey(): Uint8Array {
    return this.#parts.publicKey.slice();
  }

  get state(): NodeState {
    return this.#state;
  }

  /** Errors worth knowing about (bad packets, clock drift, storage failures), rate-limited per code. */
  get errors(): EventStream<ShoalError> {
    return this.#parts.errors.stream;
  }

  /** Starts syncing: listens on the ports, gossips, probes members. Idempotent while running. */
  async start(): Promise<void> {
    this.#assertOpen();
    if (this.#state === 'running' || this.#state === 'paused') return;
    const { courier, peers } = this.#parts;
    for (const port of this.#parts.ports) {
      this.#unsubscribe.push(
        port.onMessage((from, bytes, source) => courier.receive(port, from, bytes, source)),
        port.onPeer((peer, change) => peers.transportPeer(port, peer, change)),
      );
    }
    if (this.#parts.sealer.mode === 'open') {
      this.events.emit({ type: 'open-mode', message: OPEN_MODE_WARNING });
    }
    this.#run();
    this.#parts.horizon.start();
    for (const keeper of this.#parts.keepers) keeper.start();
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
    const { membership, horizon, keepers, writes } = this.#parts;
    if (this.#state === 'running' && options.leave !== false) await membership.leave();
    this.#halt();
    horizon.stop();
    for (const keeper of keepers) {
      keeper.stop();
      keeper.save();
    }
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    // A store that refuses writes (full) must not keep the node from stopping: the failure was
    // reported through `errors`, and what was not written was never acknowledged.
    await writes.flush().catch(() => {});
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
    const { channels, writes } = this.#parts;
    // Own writes raise the own clock once durable: settle them before reading it.
    await writes.flush().catch(() => {});
    channels.saveOwnClocks();
    await writes.flush().catch(() => {});
    channels.closeWatchers();
    this.#parts.unsubscribeKeyring();
    this.#setState('disposed');
    await Promise.allSettled(this.#parts.ports.map((port) => port.close()));
    await this.#parts.storage.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /**
   * Opens the channel `name`, loading what storage holds of it; creates it empty when new.
   * Concurrent calls share one load and return the same instance.
   * @throws ShoalError `INVALID_ID` for a bad name, `CORRUPT_DATA` for unreadable storage.
   */
  channel(name: string): Promise<Channel> {
    return this.#parts.channels.open(name);
  }

  /** Names of the channels open on this node: opened by the application, or for peers (`joinChannelsOnDemand`). */
  channelNames(): string[] {
    return this.#parts.channels.names();
  }

  /** Adds a peer by id (for transports without discovery, or to seed membership). */
  addPeer(id: string): void {
    this.#assertOpen();
    const peer = parseNodeId(id);
    const port = this.#parts.ports[0];
    if (port === undefined)
      throw new ShoalError(ErrorCode.InvalidState, 'this node has no port to reach peers');
    this.#parts.peers.add(peer, port);
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
    const timeout = options.timeout ?? 10 * this.#parts.config.gossipInterval + 2000;
    if (!(Number.isFinite(timeout) && timeout > 0)) {
      throw new ShoalError(ErrorCode.InvalidArgument, `syncNow timeout must be a positive number of ms`);
    }
    const peers = peer === undefined ? this.#parts.peers.live() : [parseNodeId(peer)];
    if (peers.length === 0) throw new ShoalError(ErrorCode.NoPeers, 'syncNow: no peer is reachable');
    const results = await Promise.all(peers.map((each) => this.#parts.engine.syncWith(each, timeout)));
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
    const { membership, keys } = this.#parts;
    return membership.members().map((member) => {
      const publicKey = member.id === this.id ? this.publicKey : keys?.publicKeyOf(member.id);
      return publicKey === undefined ? member : { ...member, publicKey: publicKey.slice() };
    });
  }

  /**
   * The leader every node computes from its own membership view (the highest-ranked alive
   * member). Views agree once membership has converged; nothing in the data path depends on it.
   */
  leader(): NodeId {
    return this.#parts.membership.leader();
  }

  /** Whether the node runs without storage errors, its mode, peers, sealing and error counts. */
  health(): NodeHealth {
    return this.#parts.reports.health();
  }

  /**
   * Counters since the node was created, for metrics and dashboards: messages and wire bytes
   * sent and received by message type, and SWIM's probes, suspicions and refutations.
   */
  stats(): NodeStats {
    return this.#parts.reports.stats();
  }

  /** What the node holds (channels, objects, keys, pending writes, peers) and its sync counters. */
  resourceUsage(): ResourceUsage {
    return this.#parts.reports.resourceUsage();
  }

  /**
   * Resolves once every write made so far is durable; rejects (`STORAGE_FULL`, `STORAGE`) when
   * the store still refuses some of them (they stay queued and lead every later write).
   */
  flush(): Promise<void> {
    return this.#parts.writes.flush();
  }

  /** Starts (or resumes) every periodic subsystem. */
  #run(): void {
    const { courier, engine, membership } = this.#parts;
    this.#setState('running');
    courier.setOpen(true);
    engine.start();
    membership.start();
    courier.announce();
  }

  /** Stops every periodic subsystem; nothing is sent or handled after it. */
  #halt(): void {
    const { courier, engine, membership } = this.#parts;
    engine.stop();
    membership.stop();
    courier.stopAnnouncing();
    courier.setOpen(false);
  }

  #setState(state: NodeState): void {
    this.#state = state;
    this.events.emit({ type: 'state', state });
  }

  #assertOpen(): void {
    if (this.#state === 'disposed') throw new ShoalError(ErrorCode.Closed, 'this node was disposed');
  }
}
