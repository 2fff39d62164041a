import {
  ErrorCode,
  type KeyValueStore,
  MemoryStore,
  type NodeId,
  type PeerHandler,
  parseNodeId,
  type RandomPort,
  SeededRandom,
  ShoalError,
  type TimerPort,
} from '@shoal/core';
import { DiskHandle } from './disk-handle.js';
import { EventQueue } from './event-queue.js';
import { LinkFaults } from './link-faults.js';
import {
  type ErrorContext,
  type ResolvedOptions,
  resolveOptions,
  type SimulatedNetworkOptions,
} from './network-options.js';
import { addStats, emptyStats, type NetworkStats, type NodeStats } from './network-stats.js';
import { settleMicrotasks } from './settle-microtasks.js';
import { PortEndpoint, type PortHost, type SimulatedPort } from './simulated-port.js';
import type { DropReason, TraceEntry } from './trace-entry.js';

interface NodeState {
  readonly id: NodeId;
  readonly stats: NodeStats;
  readonly disk: MemoryStore;
  readonly random: SeededRandom;
  port: PortEndpoint | undefined;
  crashed: boolean;
  paused: boolean;
  /** Events that fell due while paused, in order; they run when the node resumes. */
  held: SimEvent[];
  /** Bumped by every crash: events and handles of an older incarnation are dead. */
  incarnation: number;
  skew: number;
  timers: TimerPort | undefined;
  storage: DiskHandle | undefined;
}

interface InFlight {
  readonly from: NodeState;
  readonly to: NodeState;
  readonly bytes: Uint8Array;
  readonly senderIncarnation: number;
  /** Set once the network-level checks (partition, block, sender crash) have passed. */
  arrived: boolean;
}

interface SimEvent {
  time: number;
  seq: number;
  /** The node whose crash drops this event and whose pause holds it back. */
  readonly node: NodeState | undefined;
  readonly incarnation: number;
  readonly message: InFlight | undefined;
  readonly fire: () => void;
  cancelled: boolean;
}

/** Options of {@link SimulatedNetwork.runUntil}. */
export interface RunUntilOptions {
  /** Virtual ms to wait at most. Default 60 000. */
  readonly timeout?: number;
}

/**
 * A whole network of nodes in one process, on virtual time: the transport for tests,
 * simulations and demos. Every random choice comes from `seed`, so a run is a pure function of
 * the seed and the operations applied: same seed, same calls ⇒ identical message trace.
 *
 * **One virtual event queue.** Message deliveries, peer notifications and timer callbacks are
 * events in one binary heap ordered by (virtual time, scheduling order). Virtual time moves
 * only inside {@link SimulatedNetwork.runFor} and {@link SimulatedNetwork.runUntil}, jumping
 * from one event to the next, so idle time costs nothing.
 *
 * **Async code between events.** Before the first event and after every event that ran, the
 * run waits until the microtask queue is completely drained (it yields one macrotask turn;
 * Node runs every queued microtask, and those they queue, before it). So promise-based code
 * started by a handler or timer (awaiting a `MemoryStore`, an async iterator, a chain of any
 * depth) runs to its next wait on a port, at the same virtual time, before anything else
 * happens, exactly as it would between two real I/O callbacks. This is deterministic as long
 * as that code waits only on ports of this network; work that waits on real timers or real
 * I/O finishes at an unspecified virtual time.
 *
 * **Faults.** `loss`, `duplicate`, `latency` and `reorder` apply per message at send time;
 * partitions, one-way blocks and crashes are checked again when a message arrives, so they
 * also drop messages already in flight.
 */
export class SimulatedNetwork {
  readonly #options: ResolvedOptions;
  readonly #faults: SeededRandom;
  readonly #queue = new EventQueue<SimEvent>();
  readonly #nodes = new Map<NodeId, NodeState>();
  readonly #links = new LinkFaults();
  readonly #traceListeners = new Set<(entry: TraceEntry) => void>();
  readonly #host: PortHost;
  #time = 0;
  #seq = 0;
  #running = false;
  #sharedErrors = 0;
  #sharedTimers: TimerPort | undefined;

  /** @throws ShoalError `INVALID_ARGUMENT` when an option is out of range. */
  constructor(options: SimulatedNetworkOptions = {}) {
    this.#options = resolveOptions(options);
    this.#faults = new SeededRandom(this.#options.seed).fork('network');
    this.#host = {
      transmit: (from, to, bytes) => this.#transmit(from, to, bytes),
      replayPeers: (port, handler) => this.#replayPeers(port, handler),
      detach: (port) => this.#detach(port),
      reportError: (node, source, error) => this.#reportError(this.#nodes.get(node), source, error),
    };
  }

  /** Largest message a port of this network accepts, in bytes. */
  get maxMessageSize(): number {
    return this.#options.maxMessageSize;
  }

  /** Virtual monotonic time in ms since the network was created. */
  now(): number {
    return this.#time;
  }

  /**
   * Connects node `id` and returns its port. Every other connected node's `onPeer` handlers
   * hear `(id, 'up')`. A port closed with `close()` may be replaced by connecting again.
   *
   * @throws ShoalError `INVALID_ID` for a malformed id, `INVALID_STATE` when the node is
   *   already connected or is crashed and not restarted.
   */
  connect(id: string): SimulatedPort {
    const node = this.#node(id);
    if (node.crashed) throw new ShoalError(ErrorCode.InvalidState, `node ${id} is crashed: restart it first`);
    if (node.port !== undefined)
      throw new ShoalError(ErrorCode.InvalidState, `node ${id} is already connected`);
    const port = new PortEndpoint(node.id, this.#options.maxMessageSize, this.#host);
    node.port = port;
    this.#announce(node, 'up');
    return port;
  }

  /**
   * Virtual timers not tied to any node: `monotonic()` is {@link SimulatedNetwork.now},
   * `now()` is `epoch + monotonic()` floored to whole ms. Callbacks run in (time, scheduling)
   * order inside `runFor`/`runUntil`; an exception is contained and counted.
   */
  get timers(): TimerPort {
    this.#sharedTimers ??= this.#makeTimers(undefined);
    return this.#sharedTimers;
  }

  /**
   * Virtual timers of node `id`. Like {@link SimulatedNetwork.timers}, and also: `now()` adds
   * the node's clock skew; callbacks that fall due while the node is paused run when it
   * resumes; a crash cancels every pending callback and kills this handle (its `setTimeout`
   * becomes a no-op), so after `restart` ask for the node's timers again.
   *
   * @throws ShoalError `INVALID_ID` for a malformed id.
   */
  timersFor(id: string): TimerPort {
    const node = this.#node(id);
    node.timers ??= this.#makeTimers(node);
    return node.timers;
  }

  /**
   * The node's seeded random stream: derived from the network seed and `id` only, so it does
   * not depend on other nodes or on traffic. The same object for the node's whole life, across
   * crashes (a restarted process would not replay its old random numbers).
   *
   * @throws ShoalError `INVALID_ID` for a malformed id.
   */
  random(id: string): RandomPort {
    return this.#node(id).random;
  }

  /**
   * An open handle on node `id`'s disk: an in-memory store that survives crash and restart.
   * The same handle until it is closed or the node crashes; then a fresh handle on the same
   * data. Writes a crashed incarnation already issued still land, like writes in a disk's
   * queue; closing an old incarnation's handle does not affect the new one.
   *
   * @throws ShoalError `INVALID_ID` for a malformed id.
   */
  storage(id: string): KeyValueStore {
    const node = this.#node(id);
    if (node.storage === undefined || node.storage.closed) node.storage = new DiskHandle(node.disk);
    return node.storage;
  }

  /**
   * Everything a node needs from the simulation, ready to spread into `Coordinator.create`:
   * `Coordinator.create({ id, ...net.nodePorts(id) })`. Connects the node (so call it again
   * after a crash and restart, as for {@link SimulatedNetwork.connect}).
   */
  nodePorts(id: string): {
    port: SimulatedPort;
    timers: TimerPort;
    random: RandomPort;
    storage: KeyValueStore;
  } {
    return {
      port: this.connect(id),
      timers: this.timersFor(id),
      random: this.random(id),
      storage: this.storage(id),
    };
  }

  /**
   * Splits the network: nodes in different groups cannot exchange messages, in either
   * direction, including messages already in flight. Nodes listed in no group form one more
   * group together. Replaces any previous partition; {@link SimulatedNetwork.heal} removes it.
   *
   * @throws ShoalError `INVALID_ARGUMENT` when a node is listed twice, `INVALID_ID` for a
   *   malformed id.
   */
  partition(...groups: readonly (readonly string[])[]): void {
    this.#links.partition(groups.map((group) => group.map((id) => parseNodeId(id))));
  }

  /** Drops every message from `from` to `to` (one way) until {@link SimulatedNetwork.heal}. */
  block(from: string, to: string): void {
    this.#links.block(parseNodeId(from), parseNodeId(to));
  }

  /** Removes the partition and every block. Per-link loss set by `setLinkLoss` stays. */
  heal(): void {
    this.#links.heal();
  }

  /**
   * Sets the loss probability of the one-way link `from` → `to`, overriding `loss`; pass
   * `undefined` to fall back to `loss` again.
   *
   * @throws ShoalError `INVALID_ARGUMENT` when `p` is not in [0, 1].
   */
  setLinkLoss(from: string, to: string, p: number | undefined): void {
    this.#links.setLoss(parseNodeId(from), parseNodeId(to), p);
  }

  /**
   * Kills node `id`'s process: its port closes (no handler runs again), messages in flight to
   * or from it are dropped, its pending timers are cancelled and held events discarded, and
   * other nodes' `onPeer` handlers hear `(id, 'down')`. Its disk survives. Crashing a crashed
   * node does nothing.
   */
  crash(id: string): void {
    const node = this.#node(id);
    if (node.crashed) return;
    node.crashed = true;
    node.incarnation++;
    node.paused = false;
    node.held = [];
    node.timers = undefined;
    node.storage = undefined;
    const port = node.port;
    node.port = undefined;
    if (port !== undefined) {
      port.shutdown();
      this.#announce(node, 'down');
    }
  }

  /**
   * Lets a crashed node come back: `connect(id)` works again, `storage(id)` reopens the same
   * disk, `timersFor(id)` gives fresh timers.
   *
   * @throws ShoalError `INVALID_STATE` when the node is not crashed.
   */
  restart(id: string): void {
    const node = this.#node(id);
    if (!node.crashed) throw new ShoalError(ErrorCode.InvalidState, `node ${id} is not crashed`);
    node.crashed = false;
  }

  /**
   * Stalls node `id`'s event loop: its timer callbacks, inbound messages and peer events that
   * fall due are held, in order, instead of running. It can still be sent to, and test code
   * can still call its port.
   */
  pause(id: string): void {
    const node = this.#node(id);
    if (!node.crashed) node.paused = true;
  }

  /** Unstalls node `id`: everything held runs, in order, at the current virtual time. */
  resume(id: string): void {
    const node = this.#node(id);
    node.paused = false;
    for (const event of node.held) {
      event.time = this.#time;
      event.seq = this.#seq++;
      this.#queue.push(event);
    }
    node.held = [];
  }

  /** Offsets node `id`'s wall clock (`timersFor(id).now()`) by `ms`; monotonic time is unchanged. */
  setClockSkew(id: string, ms: number): void {
    if (!Number.isFinite(ms))
      throw new ShoalError(ErrorCode.InvalidArgument, `clock skew must be finite, got ${ms}`);
    this.#node(id).skew = ms;
  }

  /**
   * Advances virtual time by `ms`, running every event that falls due, in order, and letting
   * microtasks settle before the first and after each one (see the class description).
   *
   * @throws ShoalError `INVALID_ARGUMENT` for a negative or non-finite `ms`, `INVALID_STATE`
   *   when a run is already in progress.
   */
  async runFor(ms: number): Promise<void> {
    const end = this.#enter(ms);
    try {
      await this.#drain(end, undefined);
      this.#time = end;
    } finally {
      this.#running = false;
    }
  }

  /**
   * Runs events like {@link SimulatedNetwork.runFor} until `predicate()` is true, checking it
   * before the first event and after each event (once microtasks settled). Resolves `true` as
   * soon as it holds (virtual time stays at that event), or `false` once `timeout` virtual ms
   * passed without it holding.
   *
   * @throws as {@link SimulatedNetwork.runFor}.
   */
  async runUntil(predicate: () => boolean, options: RunUntilOptions = {}): Promise<boolean> {
    const end = this.#enter(options.timeout ?? 60_000);
    try {
      if (await this.#drain(end, predicate)) return true;
      this.#time = end;
      return predicate();
    } finally {
      this.#running = false;
    }
  }

  /** A snapshot of every node's message counters, and their totals. */
  stats(): NetworkStats {
    const nodes = new Map<NodeId, NodeStats>();
    const totals = emptyStats();
    for (const node of this.#nodes.values()) {
      nodes.set(node.id, { ...node.stats });
      addStats(totals, node.stats);
    }
    totals.errors += this.#sharedErrors;
    return { nodes, totals };
  }

  /**
   * Calls `listener` for every message sent, delivered or dropped, in order. Returns an
   * unsubscribe function. Use it to debug a run or to compare two runs.
   */
  onTrace(listener: (entry: TraceEntry) => void): () => void {
    this.#traceListeners.add(listener);
    return () => {
      this.#traceListeners.delete(listener);
    };
  }

  #node(raw: string): NodeState {
    const id = parseNodeId(raw);
    let node = this.#nodes.get(id);
    if (node === undefined) {
      node = {
        id,
        stats: emptyStats(),
        disk: new MemoryStore(),
        random: new SeededRandom(this.#options.seed).fork(`node:${id}`),
        port: undefined,
        crashed: false,
        paused: false,
        held: [],
        incarnation: 0,
        skew: 0,
        timers: undefined,
        storage: undefined,
      };
      this.#nodes.set(id, node);
    }
    return node;
  }

  #makeTimers(node: NodeState | undefined): TimerPort {
    const epoch = this.#options.epoch;
    const incarnation = node?.incarnation ?? 0;
    return {
      now: () => Math.floor(epoch + this.#time + (node?.skew ?? 0)),
      monotonic: () => this.#time,
      setTimeout: (fn, ms) => {
        if (ms === Number.POSITIVE_INFINITY) return () => {};
        if (node !== undefined && (node.crashed || node.incarnation !== incarnation)) return () => {};
        const event = this.#schedule(ms > 0 ? ms : 0, node, undefined, () => {
          try {
            fn();
          } catch (error) {
            this.#reportError(node, 'timer', error);
          }
        });
        return () => {
          event.cancelled = true;
        };
      },
    };
  }

  #schedule(
    delay: number,
    node: NodeState | undefined,
    message: InFlight | undefined,
    fire: () => void,
  ): SimEvent {
    const event: SimEvent = {
      time: this.#time + delay,
      seq: this.#seq++,
      node,
      incarnation: node?.incarnation ?? 0,
      message,
      fire,
      cancelled: false,
    };
    this.#queue.push(event);
    return event;
  }

  #transmit(fromId: NodeId, toId: NodeId, bytes: Uint8Array): void {
    const from = this.#node(fromId);
    const to = this.#node(toId);
    from.stats.sent++;
    from.stats.bytesSent += bytes.length;
    this.#trace('send', from, to, bytes.length);
    const cut = this.#links.cut(from.id, to.id);
    if (cut !== undefined) {
      this.#drop(from, to, bytes.length, cut);
      return;
    }
    const loss = this.#links.lossOf(from.id, to.id) ?? this.#options.loss;
    if (loss > 0 && this.#faults.next() < loss) {
      this.#drop(from, to, bytes.length, 'loss');
      return;
    }
    const { duplicate } = this.#options;
    const copies = duplicate > 0 && this.#faults.next() < duplicate ? 2 : 1;
    if (copies === 2) from.stats.duplicated++;
    for (let copy = 0; copy < copies; copy++) {
      // Each copy gets its own buffer, so a handler mutating one cannot change the other.
      const payload = copy === 0 ? bytes : bytes.slice();
      const message: InFlight = {
        from,
        to,
        bytes: payload,
        senderIncarnation: from.incarnation,
        arrived: false,
      };
      this.#schedule(this.#delay(), to, message, () => this.#deliver(message));
    }
  }

  #delay(): number {
    const { latencyMin, latencyMax, reorder, reorderDelay } = this.#options;
    let delay = latencyMin;
    if (latencyMax > latencyMin) delay += Math.floor(this.#faults.next() * (latencyMax - latencyMin + 1));
    if (reorder > 0 && this.#faults.next() < reorder)
      delay += 1 + Math.floor(this.#faults.next() * reorderDelay);
    return delay;
  }

  #deliver(message: InFlight): void {
    const { from, to, bytes } = message;
    const port = to.port;
    if (port === undefined) {
      this.#drop(from, to, bytes.length, 'unreachable');
      return;
    }
    to.stats.delivered++;
    to.stats.bytesDelivered += bytes.length;
    this.#trace('deliver', from, to, bytes.length);
    port.dispatchMessage(from.id, bytes);
  }

  /** Runs one event if it is still live; returns whether any user code ran. */
  #process(event: SimEvent): boolean {
    if (event.cancelled) return false;
    const message = event.message;
    if (message !== undefined && !message.arrived) {
      message.arrived = true;
      if (message.from.incarnation !== message.senderIncarnation) {
        this.#drop(message.from, message.to, message.bytes.length, 'crash');
        return false;
      }
      const cut = this.#links.cut(message.from.id, message.to.id);
      if (cut !== undefined) {
        this.#drop(message.from, message.to, message.bytes.length, cut);
        return false;
      }
    }
    const node = event.node;
    if (node !== undefined) {
      if (node.incarnation !== event.incarnation) {
        if (message !== undefined) this.#drop(message.from, message.to, message.bytes.length, 'crash');
        return false;
      }
      if (node.paused) {
        node.held.push(event);
        return false;
      }
    }
    event.fire();
    return true;
  }

  async #drain(end: number, predicate: (() => boolean) | undefined): Promise<boolean> {
    await settleMicrotasks();
    if (predicate?.()) return true;
    for (
      let event = this.#queue.peek();
      event !== undefined && event.time <= end;
      event = this.#queue.peek()
    ) {
      this.#queue.pop();
      this.#time = event.time;
      if (!this.#process(event)) continue;
      await settleMicrotasks();
      if (predicate?.()) return true;
    }
    return false;
  }

  #enter(ms: number): number {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new ShoalError(ErrorCode.InvalidArgument, `virtual ms must be finite and >= 0, got ${ms}`);
    }
    if (this.#running)
      throw new ShoalError(ErrorCode.InvalidState, 'the simulated network is already running');
    this.#running = true;
    return this.#time + ms;
  }

  #drop(from: NodeState, to: NodeState, size: number, reason: DropReason): void {
    from.stats.dropped++;
    this.#trace('drop', from, to, size, reason);
  }

  /** Tells every other connected node that `node` went up or down. */
  #announce(node: NodeState, change: 'up' | 'down'): void {
    for (const other of this.#nodes.values()) {
      if (other !== node && other.port !== undefined)
        this.#notifyPeer(other, other.port, node.id, change, undefined);
    }
  }

  #replayPeers(port: PortEndpoint, handler: PeerHandler): void {
    const node = this.#nodes.get(port.id);
    if (node === undefined) return;
    for (const other of this.#nodes.values()) {
      if (other !== node && other.port !== undefined) this.#notifyPeer(node, port, other.id, 'up', [handler]);
    }
  }

  #notifyPeer(
    target: NodeState,
    port: PortEndpoint,
    peer: NodeId,
    change: 'up' | 'down',
    only: PeerHandler[] | undefined,
  ): void {
    // Only handlers subscribed now hear it; later subscribers get the current state replayed.
    const handlers = only ?? port.peerHandlers();
    if (handlers.length === 0) return;
    this.#schedule(0, target, undefined, () => port.dispatchPeer(handlers, peer, change));
  }

  #detach(port: PortEndpoint): void {
    const node = this.#nodes.get(port.id);
    if (node === undefined || node.port !== port) return;
    node.port = undefined;
    this.#announce(node, 'down');
  }

  #reportError(node: NodeState | undefined, source: ErrorContext['source'], error: unknown): void {
    if (node === undefined) this.#sharedErrors++;
    else node.stats.errors++;
    this.#options.onError?.(error, { node: node?.id, source });
  }

  /** Reports one step of a message; builds the entry only when someone listens (most runs). */
  #trace(type: TraceEntry['type'], from: NodeState, to: NodeState, size: number, reason?: DropReason): void {
    if (this.#traceListeners.size === 0) return;
    const base = { time: this.#time, from: from.id, to: to.id, size };
    const entry: TraceEntry =
      type === 'drop' ? { type, ...base, reason: reason as DropReason } : { type, ...base };
    for (const listener of this.#traceListeners) listener(entry);
  }
}
