import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { type RandomPort, randomInt, sample } from '../ports/random-port.js';
import type { TimerPort } from '../ports/timer-port.js';
import { bytesEqual } from '../storage/bytes.js';
import { Awareness } from './awareness.js';
import { BroadcastQueue } from './broadcast-queue.js';
import { type MembershipConfig, validateConfig } from './config.js';
import type { MemberInfo, MemberState, MemberUpdate } from './member-state.js';
import { MAX_INCARNATION, MAX_INCARNATION_JUMP, overrides } from './member-state.js';
import { type MembershipEvent, type MembershipStats, zeroMembershipStats } from './membership-events.js';
import { decodeMessage, encodeMessage, type MembershipMessage } from './messages.js';
import { ProbeOrder } from './probe-order.js';
import { pushPullUpdates, selectPushPullMembers } from './push-pull.js';
import { Suspicion, suspicionBounds } from './suspicion.js';
import { TaskTimers } from './task-timers.js';
import { decodePiggyback, encodeUpdate } from './updates.js';

/** What {@link Membership} needs from its host (the Coordinator, or a test harness). */
export interface MembershipOptions {
  readonly self: NodeId;
  readonly timers: TimerPort;
  readonly random: RandomPort;
  /** Sends a membership body to a peer, best effort; the host wraps it in its envelope. */
  readonly send: (to: NodeId, body: Uint8Array) => void;
  readonly config: MembershipConfig;
  /** The last incarnation persisted; `start()` begins at one above it. */
  readonly incarnation: number;
  /** Called with every new incarnation, before it is announced, so the host can persist it. */
  readonly onIncarnation?: (incarnation: number) => void;
  /** This node's opaque transport address, carried in its alive updates. */
  readonly localAddress?: Uint8Array;
  /** Called when gossip teaches a (new or changed) address of a peer. */
  readonly onAddress?: (peer: NodeId, address: Uint8Array) => void;
}

interface Member {
  state: MemberState;
  incarnation: number;
  address: Uint8Array | undefined;
  /** monotonic() when the state last changed (tombstone expiry). */
  since: number;
}

interface PendingAck {
  readonly onAck: () => void;
  readonly onNack: () => void;
}

type Counters = { -readonly [K in keyof MembershipStats]: number };

/**
 * SWIM group membership (Das et al. 2002) with Lifeguard (Dadgar et al. 2017), as one
 * transport-agnostic state machine driven by its host:
 * - failure detection: one member probed per period in shuffled round-robin order, ping then
 *   ping-req through k others, suspicion with incarnation numbers, refutation (SWIM §3.1, §4.2, §4.3);
 * - dissemination: updates piggyback on whatever the host sends ({@link Membership.takePiggyback}),
 *   each at most λ·ceil(log10(N+1)) times (SWIM §4.1), plus periodic push-pull of member lists;
 * - Lifeguard: Local Health Multiplier on probe interval and timeout, dynamic suspicion timeout
 *   shrinking with independent confirmations, nacks, and the buddy system (§4.1–§4.3);
 * - graceful leave (`left` is never `dead`), and rejoin of a dead or left member at a higher
 *   incarnation; dead members and seeds are retried periodically, so healed partitions merge.
 *
 * Guarantees: never throws on inbound bytes (bad input is dropped and counted in
 * {@link MembershipStats.dropped}); never answers anything but well-formed membership messages;
 * never reads time or randomness except through its ports. Event handlers run synchronously
 * inside the call that caused the event and must not throw.
 */
export class Membership {
  readonly #self: NodeId;
  readonly #timers: TimerPort;
  readonly #random: RandomPort;
  readonly #send: (to: NodeId, body: Uint8Array) => void;
  readonly #config: MembershipConfig;
  readonly #onIncarnation: ((incarnation: number) => void) | undefined;
  readonly #localAddress: Uint8Array | undefined;
  readonly #onAddress: ((peer: NodeId, address: Uint8Array) => void) | undefined;

  readonly #members = new Map<NodeId, Member>();
  readonly #suspicions = new Map<NodeId, Suspicion>();
  readonly #queue = new BroadcastQueue();
  readonly #awareness: Awareness;
  readonly #tasks: TaskTimers;
  readonly #probeOrder: ProbeOrder;
  readonly #pending = new Map<number, PendingAck>();
  readonly #seeds = new Set<NodeId>();
  /** Senders known to be leaves (config `leaf`), oldest first; bounded by {@link MAX_LEAVES}. */
  readonly #leaves = new Set<NodeId>();
  readonly #lastHeard = new Map<NodeId, number>();
  readonly #lastJoinAttempt = new Map<NodeId, number>();
  readonly #handlers = new Set<(event: MembershipEvent) => void>();
  readonly #stats: Counters = zeroMembershipStats();

  #incarnation: number;
  #left = false;
  #running = false;
  #seq = 0;
  #leader: NodeId;
  /**
   * The alive and suspect members, kept as the member map changes: piggyback limits, gossip and
   * probes read them for every message, and rebuilding them each time made a thousand-member
   * group's join quadratic per member.
   */
  #live: NodeId[] | undefined;
  #liveCount = 0;
  /** When {@link Membership.addSeed} or `start` last push-pulled a seed (monotonic). */
  #lastSeedContact = Number.NEGATIVE_INFINITY;

  constructor(options: MembershipOptions) {
    validateConfig(options.config);
    if (!(Number.isSafeInteger(options.incarnation) && options.incarnation >= 0)) {
      throw new ShoalError(ErrorCode.InvalidArgument, 'incarnation must be a non-negative safe integer');
    }
    this.#self = options.self;
    this.#timers = options.timers;
    this.#random = options.random;
    this.#send = options.send;
    this.#config = options.config;
    this.#incarnation = options.incarnation;
    this.#onIncarnation = options.onIncarnation;
    this.#localAddress = options.localAddress;
    this.#onAddress = options.onAddress;
    this.#awareness = new Awareness(options.config.awarenessMaxMultiplier);
    this.#probeOrder = new ProbeOrder(options.random);
    this.#tasks = new TaskTimers(options.timers, options.random, options.config.jitter);
    this.#leader = options.self;
  }

  /** This node's current incarnation. */
  get incarnation(): number {
    return this.#incarnation;
  }

  /**
   * Starts probing, gossiping and periodic push-pull. The incarnation becomes one above the
   * persisted one (reported through `onIncarnation`), so a restarted node's alive update
   * overrides whatever the group remembers of its previous life. Idempotent while running.
   */
  start(): void {
    if (this.#running || this.#left) return;
    this.#running = true;
    this.#setIncarnation(this.#incarnation + 1);
    this.#announceSelf();
    const { probeInterval, gossipInterval, pushPullInterval, reconnectInterval } = this.#config;
    // Stagger the first probe so members that start together do not probe in lockstep.
    this.#tasks.after(this.#random.next() * probeInterval, () => this.#probeTick());
    this.#tasks.every(gossipInterval, () => this.#gossipTick());
    this.#tasks.every(pushPullInterval, () => this.#pushPullTick());
    this.#tasks.every(reconnectInterval, () => this.#reconnectTick());
    const seeds = [...this.#seeds];
    if (seeds.length > 0) this.#contactSeed(seeds[randomInt(this.#random, seeds.length)] as NodeId);
  }

  /** Stops every timer; inbound messages are ignored afterwards. Idempotent. */
  stop(): void {
    this.#running = false;
    this.#tasks.cancelAll();
    for (const suspicion of this.#suspicions.values()) suspicion.cancel();
    this.#suspicions.clear();
    this.#pending.clear();
  }

  /**
   * Leaves gracefully: queues a `left` update about itself (others record `left`, never `dead`)
   * and sends it at once, as gossip, to live members until it has been sent its retransmit
   * limit (λ·log10(N+1) copies, each to a different member, who spread it further as any
   * update). Then stops. Waits on no timer: it completes within the current turn whatever the
   * clock does, so `dispose()` is bounded under virtual time too. Resolves at once if not
   * running.
   */
  leave(): Promise<void> {
    if (this.#running && !this.#left) {
      this.#left = true;
      this.#queue.enqueue(
        this.#self,
        encodeUpdate({ kind: 'left', node: this.#self, incarnation: this.#incarnation }),
      );
      this.#updateLeader();
      for (const peer of sample(this.#random, this.aliveMembers(), Number.MAX_SAFE_INTEGER)) {
        if (!this.#queue.has(this.#self)) break;
        this.#message(peer, { type: 'gossip' });
      }
    }
    this.stop();
    return Promise.resolve();
  }

  /**
   * Adds a peer to try to join through (from transport discovery or the user). While the peer
   * is not known alive, a push-pull of member lists is sent to it: now, unless another seed was
   * contacted less than a probe period ago, and then as the reconnect period picks it. One
   * exchange is enough to join (the rest arrives by gossip); contacting every seed at once made
   * a group's start cost N² push-pulls, as a transport announcing all peers names every one.
   */
  addSeed(peer: NodeId): void {
    if (peer === this.#self || this.#leaves.has(peer)) return;
    this.#seeds.add(peer);
    if (this.#running && !this.#isLive(peer)) this.#contactSeed(peer);
  }

  /** Handles a membership body addressed to this node. Bad bytes are dropped and counted, never thrown. */
  handleMessage(from: NodeId, body: Uint8Array): void {
    if (!this.#running || from === this.#self) return;
    const decoded = decodeMessage(body);
    if (!decoded.ok) {
      this.#stats.dropped++;
      return;
    }
    const message = decoded.value;
    switch (message.type) {
      case 'ping':
        this.#onPing(from, message.seq, message.target, message.suspectedIncarnation);
        break;
      case 'ping-req':
        this.#onPingReq(from, message.seq, message.target, message.wantNack);
        break;
      case 'ack':
        this.#stats.acksReceived++;
        this.#pending.get(message.seq)?.onAck();
        break;
      case 'nack':
        this.#stats.nacksReceived++;
        this.#pending.get(message.seq)?.onNack();
        break;
      case 'push-pull':
        this.#onPushPull(from, message.reply, message.members);
        break;
      case 'gossip':
        break;
    }
  }

  /**
   * Gossip to attach to an outgoing message: at most `maxBytes`, or undefined when there is
   * nothing to send or nothing fits. Each call counts one transmission of what it returns.
   */
  takePiggyback(maxBytes: number): Uint8Array | undefined {
    const bytes = this.#queue.take(maxBytes, this.#retransmitLimit());
    if (bytes !== undefined) this.#stats.piggybackBytes += bytes.length;
    return bytes;
  }

  /** Applies gossip that rode on a message from `from`. Bad bytes are dropped and counted. */
  handlePiggyback(from: NodeId, bytes: Uint8Array): void {
    if (!this.#running || from === this.#self) return;
    const decoded = decodePiggyback(bytes);
    if (!decoded.ok) {
      this.#stats.dropped++;
      return;
    }
    for (const update of decoded.value) this.#apply(update);
  }

  /**
   * Records that an authenticated message arrived from `from`. A probe of `from` that times out
   * after this is not turned into suspicion (the member is demonstrably alive), and an unknown or
   * dead sender is sent a push-pull (at most once per probe interval) so both sides reconcile.
   */
  noteAlive(from: NodeId): void {
    if (!this.#running || from === this.#self) return;
    const now = this.#timers.monotonic();
    this.#lastHeard.set(from, now);
    if (this.#leaves.has(from)) return;
    const member = this.#members.get(from);
    if (member !== undefined && member.state !== 'dead') return;
    const last = this.#lastJoinAttempt.get(from);
    if (last !== undefined && now - last < this.#config.probeInterval) return;
    this.#pushPull(from);
  }

  /** Every known member including this node (first), with its state and incarnation. */
  members(): MemberInfo[] {
    const own: MemberInfo = {
      id: this.#self,
      state: this.#left ? 'left' : 'alive',
      incarnation: this.#incarnation,
      ...(this.#localAddress === undefined ? {} : { address: this.#localAddress }),
    };
    return [own, ...[...this.#members].map(([id, member]) => this.#info(id, member))];
  }

  /** Members other than this node that are alive or suspect (not yet judged dead or gone). */
  aliveMembers(): NodeId[] {
    return [...this.#liveMembers()];
  }

  /**
   * The deterministic leader: the greatest NodeId (by UTF-16 code unit order, which for the
   * ASCII NodeIds is byte order) among this node, unless it left, and the alive or suspect
   * members. Every node with the same view returns the same leader; views converge via gossip.
   */
  leader(): NodeId {
    return this.#leader;
  }

  /** Subscribes to membership events; returns an unsubscribe function. */
  onEvent(handler: (event: MembershipEvent) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** A snapshot of the counters. */
  stats(): MembershipStats {
    return { ...this.#stats, awareness: this.#awareness.score };
  }

  // ---- failure detection (SWIM §3.1, §4.3; Lifeguard §4.1) ----

  #probeTick(): void {
    if (!this.#running) return;
    if (!this.#left) {
      this.#retrySeedsWhileAlone();
      const urgent = this.#probeOrder.nextUrgent((id) => this.#members.get(id)?.state === 'suspect');
      const target =
        urgent ??
        this.#probeOrder.next(
          (id) => this.#isLive(id),
          () => [...this.#members.keys()],
        );
      if (target !== undefined) this.#probe(target, urgent !== undefined);
    }
    this.#tasks.after(this.#tasks.jittered(this.#awareness.scale(this.#config.probeInterval)), () =>
      this.#probeTick(),
    );
  }

  /** `outOfTurn`: a suspect probed ahead of the round-robin, whose failure accuses no one. */
  #probe(target: NodeId, outOfTurn: boolean): void {
    const member = this.#members.get(target);
    if (member === undefined) return;
    const seq = this.#nextSeq();
    const started = this.#timers.monotonic();
    const incarnation = member.incarnation;
    // Lifeguard §4.1: both the direct-ack timeout and the whole period stretch with local health.
    const timeout = this.#awareness.scale(this.#config.probeTimeout);
    const period = this.#awareness.scale(this.#config.probeInterval);
    let acked = false;
    let ackedDirectly = false;
    let nacks = 0;
    let expectedNacks = 0;
    this.#pending.set(seq, {
      onAck: () => {
        if (acked) return;
        acked = true;
        ackedDirectly = this.#timers.monotonic() - started <= timeout;
      },
      onNack: () => {
        nacks++;
      },
    });
    // Lifeguard §4.3 buddy system: a suspect learns of the suspicion from the ping itself.
    this.#message(target, {
      type: 'ping',
      seq,
      target,
      ...(member.state === 'suspect' ? { suspectedIncarnation: member.incarnation } : {}),
    });
    this.#stats.probesSent++;
    this.#tasks.after(timeout, () => {
      if (acked || !this.#running) return;
      // SWIM §3.1: ask k random others to probe the target for us; Lifeguard §4.1: expect nacks.
      const helpers = sample(
        this.#random,
        this.#liveMembers().filter((id) => id !== target && this.#members.get(id)?.state === 'alive'),
        this.#config.indirectChecks,
      );
      expectedNacks = helpers.length;
      for (const helper of helpers) {
        this.#message(helper, { type: 'ping-req', seq, target, wantNack: true });
        this.#stats.pingReqsSent++;
      }
    });
    this.#tasks.after(period, () => {
      this.#pending.delete(seq);
      if (!this.#running) return;
      // A suspect stays first in line until refuted or buried (see #startSuspicion).
      if (this.#members.get(target)?.state === 'suspect') this.#probeOrder.probeNext(target);
      if (acked) {
        if (ackedDirectly) this.#awareness.apply(-1);
        return;
      }
      // Any authenticated traffic from the target during the probe also proves it alive.
      if ((this.#lastHeard.get(target) ?? Number.NEGATIVE_INFINITY) >= started) return;
      // Lifeguard §4.1: missed nacks mean *we* are probably the slow one; no helpers, count the failure.
      this.#awareness.apply(expectedNacks > 0 ? expectedNacks - nacks : 1);
      // An already suspect target gets our accusation too: Lifeguard §4.2 counts it as an
      // independent confirmation. Not from an out-of-turn probe: those exist to reach the
      // suspect, and counting them would shorten every suspicion to its minimum at once.
      const current = this.#members.get(target);
      if (
        !outOfTurn &&
        current !== undefined &&
        isLiveState(current.state) &&
        current.incarnation === incarnation
      ) {
        this.#apply({ kind: 'suspect', node: target, incarnation, from: this.#self });
      }
    });
  }

  #onPing(from: NodeId, seq: number, target: NodeId, suspectedIncarnation: number | undefined): void {
    if (target !== this.#self) {
      this.#stats.dropped++;
      return;
    }
    if (suspectedIncarnation !== undefined && !this.#left) {
      // A suspicion of an older incarnation means the prober missed our refutation: announce
      // the current one again, so the ack carries it (and gossip repeats it).
      if (suspectedIncarnation >= this.#incarnation) this.#refute(suspectedIncarnation);
      else this.#announceSelf();
    }
    this.#message(from, { type: 'ack', seq });
  }

  #onPingReq(from: NodeId, seq: number, target: NodeId, wantNack: boolean): void {
    if (target === this.#self) {
      this.#message(from, { type: 'ack', seq });
      return;
    }
    const localSeq = this.#nextSeq();
    let answered = false;
    const cancelNack = wantNack
      ? this.#tasks.after(this.#config.probeTimeout * 0.8, () => {
          // Lifeguard §4.1: tell the requester we are alive even though the target is not answering.
          if (!answered) this.#message(from, { type: 'nack', seq });
        })
      : () => {};
    this.#pending.set(localSeq, {
      onAck: () => {
        if (answered) return;
        answered = true;
        cancelNack();
        this.#message(from, { type: 'ack', seq });
      },
      onNack: () => {},
    });
    this.#message(target, { type: 'ping', seq: localSeq, target });
    this.#tasks.after(this.#config.probeInterval, () => this.#pending.delete(localSeq));
  }

  // ---- suspicion, refutation, dissemination (SWIM §4.1, §4.2; Lifeguard §4.2) ----

  /** Applies one update from any source (own probe, gossip, push-pull); re-gossips what is news. */
  #apply(update: MemberUpdate): void {
    // Leaves are nobody's members, whatever a stale or confused peer says about them.
    if (this.#leaves.has(update.node)) return;
    if (update.node === this.#self) {
      this.#applyAboutSelf(update);
      return;
    }
    const current = this.#members.get(update.node);
    const currentInfo = current === undefined ? undefined : this.#info(update.node, current);
    if (!overrides(currentInfo, update)) {
      if (
        update.kind === 'suspect' &&
        current?.state === 'suspect' &&
        current.incarnation === update.incarnation &&
        this.#suspicions.get(update.node)?.confirm(update.from)
      ) {
        // Lifeguard §4.2: re-gossip only new independent confirmations.
        this.#queue.enqueue(update.node, encodeUpdate(update));
      }
      return;
    }
    const previous = current?.state;
    const wasLive = previous !== undefined && isLiveState(previous);
    if (wasLive !== isLiveState(update.kind)) {
      this.#liveCount += wasLive ? -1 : 1;
      this.#live = undefined;
    }
    const address = update.kind === 'alive' ? (update.address ?? current?.address) : current?.address;
    this.#members.set(update.node, {
      state: update.kind,
      incarnation: update.incarnation,
      address,
      since: this.#timers.monotonic(),
    });
    this.#queue.enqueue(update.node, encodeUpdate(update));
    this.#suspicions.get(update.node)?.cancel();
    this.#suspicions.delete(update.node);
    let event: MembershipEvent['type'] | undefined;
    switch (update.kind) {
      case 'alive': {
        if (
          update.address !== undefined &&
          (current?.address === undefined || !bytesEqual(update.address, current.address))
        ) {
          this.#onAddress?.(update.node, update.address);
        }
        if (previous === undefined || previous === 'dead' || previous === 'left') {
          this.#probeOrder.add(update.node);
          event = 'joined';
        } else if (previous === 'suspect') event = 'alive';
        break;
      }
      case 'suspect':
        this.#startSuspicion(update.node, update.incarnation, update.from);
        event = 'suspect';
        break;
      case 'dead':
      case 'left':
        event = update.kind;
        break;
    }
    if (event !== undefined) this.#emit({ type: event, peer: update.node, incarnation: update.incarnation });
    // Only a live member above the leader, or the leader ceasing to be live, changes it (a left
    // node or a leaf has no place of its own in the order: recompute).
    const changesLeader = isLiveState(update.kind)
      ? update.node > this.#leader || this.#left || this.#config.leaf
      : update.node === this.#leader;
    if (changesLeader) this.#updateLeader();
  }

  #applyAboutSelf(update: MemberUpdate): void {
    if (this.#left) {
      // Keep insisting we left rather than letting a stale view call us suspect or dead.
      if (update.kind !== 'left') {
        this.#queue.enqueue(
          this.#self,
          encodeUpdate({ kind: 'left', node: this.#self, incarnation: this.#incarnation }),
        );
      }
      return;
    }
    const stale =
      update.kind === 'alive'
        ? update.incarnation <= this.#incarnation
        : update.incarnation < this.#incarnation;
    if (!stale) this.#refute(update.incarnation);
  }

  /** SWIM §4.2: only the member itself raises its incarnation, which overrides any suspicion. */
  #refute(accused: number): void {
    if (accused >= MAX_INCARNATION || accused > this.#incarnation + MAX_INCARNATION_JUMP) {
      this.#stats.dropped++;
      return;
    }
    this.#setIncarnation(Math.max(this.#incarnation, accused) + 1);
    this.#stats.refutations++;
    // Lifeguard §4.1: being suspected is evidence that we are the slow one.
    this.#awareness.apply(1);
    this.#announceSelf();
  }

  #startSuspicion(node: NodeId, incarnation: number, from: NodeId): void {
    this.#stats.suspicions++;
    // The buddy system (Lifeguard §4.3) tells a suspect of its suspicion only when someone probes
    // it, and gossip reaches it only by chance (fanout among all members, a few retransmissions):
    // under loss, with probe periods stretched by local health, a live suspect could go 4 s
    // without hearing of it, and be declared dead. So every member that learns of a suspicion
    // probes the suspect next, instead of in its round-robin turn: no extra messages, and each
    // such ping either makes the suspect refute or, acked, keeps this member from burying it.
    this.#probeOrder.probeNext(node);
    const n = this.#liveCount + 1;
    const { min, max } = suspicionBounds(
      n,
      this.#config.probeInterval,
      this.#config.suspicionMult,
      this.#config.suspicionMaxTimeoutMult,
    );
    // memberlist: expect suspicionMult − 2 confirmations, none in groups too small to give them.
    const k = n - 2 < this.#config.suspicionMult - 2 ? 0 : this.#config.suspicionMult - 2;
    const started = this.#timers.monotonic();
    const suspicion = new Suspicion({
      timers: this.#timers,
      from,
      k,
      min,
      max,
      onTimeout: () => {
        const member = this.#members.get(node);
        if (!this.#running || member?.state !== 'suspect' || member.incarnation !== incarnation) return;
        // A suspect that sent us an authenticated message during the suspicion is not dead: keep
        // it suspect for another round, giving the buddy pings time to make it refute.
        if ((this.#lastHeard.get(node) ?? Number.NEGATIVE_INFINITY) >= started) {
          this.#startSuspicion(node, incarnation, this.#self);
          return;
        }
        this.#stats.deathsDeclared++;
        this.#apply({ kind: 'dead', node, incarnation, from: this.#self });
      },
    });
    this.#suspicions.set(node, suspicion);
  }

  /** memberlist's gossip round: queued updates go to a few random live members (SWIM §4.1). */
  #gossipTick(): void {
    const peers = sample(this.#random, this.#liveMembers(), this.#config.gossipFanout);
    for (const peer of peers) {
      if (this.#queue.size === 0) return;
      this.#message(peer, { type: 'gossip' });
    }
  }

  // ---- push-pull anti-entropy and reconnect (memberlist push/pull, Serf reconnect) ----

  #pushPullTick(): void {
    const peers = this.#liveMembers();
    if (!this.#left && peers.length > 0)
      this.#pushPull(peers[randomInt(this.#random, peers.length)] as NodeId);
  }

  #reconnectTick(): void {
    const now = this.#timers.monotonic();
    for (const [id, member] of this.#members) {
      if (!isLiveState(member.state) && now - member.since > this.#config.tombstoneTimeout) {
        this.#members.delete(id);
        this.#lastHeard.delete(id);
        this.#lastJoinAttempt.delete(id);
      }
    }
    const candidates = new Set<NodeId>();
    for (const [id, member] of this.#members) if (member.state === 'dead') candidates.add(id);
    for (const seed of this.#seeds)
      if (!this.#isLive(seed) && this.#members.get(seed)?.state !== 'left') candidates.add(seed);
    const list = [...candidates];
    if (!this.#left && list.length > 0) this.#pushPull(list[randomInt(this.#random, list.length)] as NodeId);
  }

  /** While no member is known live, a seed is retried every probe period, not every reconnect period. */
  #retrySeedsWhileAlone(): void {
    if (this.#seeds.size === 0 || this.#liveCount > 0) return;
    const seeds = [...this.#seeds];
    const seed = seeds[randomInt(this.#random, seeds.length)] as NodeId;
    const last = this.#lastJoinAttempt.get(seed) ?? Number.NEGATIVE_INFINITY;
    if (this.#timers.monotonic() - last >= this.#config.probeInterval) this.#pushPull(seed);
  }

  /** Push-pulls `seed` unless a seed was contacted this way less than a probe period ago. */
  #contactSeed(seed: NodeId): void {
    const now = this.#timers.monotonic();
    if (now - this.#lastSeedContact < this.#config.probeInterval) return;
    this.#lastSeedContact = now;
    this.#pushPull(seed);
  }

  #pushPull(peer: NodeId): void {
    this.#lastJoinAttempt.set(peer, this.#timers.monotonic());
    this.#stats.pushPullsSent++;
    this.#sendBody(peer, this.#pushPullBody(false));
  }

  #onPushPull(from: NodeId, reply: boolean, members: readonly MemberInfo[]): void {
    // Every full member lists itself first; a sender that does not is a leaf (config `leaf`).
    if (members[0]?.id !== from) this.#noteLeaf(from);
    else this.#leaves.delete(from);
    for (const update of pushPullUpdates(from, members)) this.#apply(update);
    if (!reply) this.#sendBody(from, this.#pushPullBody(true));
  }

  #pushPullBody(reply: boolean): Uint8Array {
    const [own, ...others] = this.members();
    const members = selectPushPullMembers(
      own as MemberInfo,
      others,
      this.#random,
      this.#config.pushPullMaxBytes,
    );
    return encodeMessage({
      type: 'push-pull',
      reply,
      members: this.#config.leaf ? members.slice(1) : members,
    });
  }

  #noteLeaf(peer: NodeId): void {
    if (this.#leaves.has(peer)) return;
    if (this.#leaves.size >= MAX_LEAVES) this.#leaves.delete(this.#leaves.values().next().value as NodeId);
    this.#leaves.add(peer);
    this.#seeds.delete(peer);
    this.#lastJoinAttempt.delete(peer);
  }

  // ---- helpers ----

  #announceSelf(): void {
    if (this.#config.leaf) return;
    const update: MemberUpdate = {
      kind: 'alive',
      node: this.#self,
      incarnation: this.#incarnation,
      ...(this.#localAddress === undefined ? {} : { address: this.#localAddress }),
    };
    this.#queue.enqueue(this.#self, encodeUpdate(update));
  }

  #setIncarnation(incarnation: number): void {
    this.#incarnation = incarnation;
    this.#onIncarnation?.(incarnation);
  }

  /** memberlist's retransmitLimit: λ·ceil(log10(N+1)), N counting live members and self. */
  #retransmitLimit(): number {
    const n = this.#liveCount + 1;
    return this.#config.retransmitMult * Math.max(1, Math.ceil(Math.log10(n + 1)));
  }

  #liveMembers(): readonly NodeId[] {
    this.#live ??= [...this.#members].filter(([, member]) => isLiveState(member.state)).map(([id]) => id);
    return this.#live;
  }

  #updateLeader(): void {
    let leader: NodeId | undefined = this.#left || this.#config.leaf ? undefined : this.#self;
    for (const [id, member] of this.#members) {
      if (isLiveState(member.state) && (leader === undefined || id > leader)) leader = id;
    }
    const next = leader ?? this.#self;
    if (next === this.#leader) return;
    this.#leader = next;
    const incarnation = next === this.#self ? this.#incarnation : (this.#members.get(next)?.incarnation ?? 0);
    this.#emit({ type: 'leader-changed', peer: next, incarnation });
  }

  #isLive(id: NodeId): boolean {
    const state = this.#members.get(id)?.state;
    return state !== undefined && isLiveState(state);
  }

  #info(id: NodeId, member: Member): MemberInfo {
    return member.address === undefined
      ? { id, state: member.state, incarnation: member.incarnation }
      : { id, state: member.state, incarnation: member.incarnation, address: member.address };
  }

  #message(to: NodeId, message: MembershipMessage): void {
    this.#sendBody(to, encodeMessage(message));
  }

  #sendBody(to: NodeId, body: Uint8Array): void {
    this.#stats.messagesSent++;
    this.#stats.bytesSent += body.length;
    this.#send(to, body);
  }

  #emit(event: MembershipEvent): void {
    for (const handler of [...this.#handlers]) handler(event);
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) % Number.MAX_SAFE_INTEGER;
    return this.#seq;
  }
}

/** Leaves remembered at most (a hub's clients, past and present); the oldest is forgotten first. */
const MAX_LEAVES = 65_536;

function isLiveState(state: MemberState): boolean {
  return state === 'alive' || state === 'suspect';
}
