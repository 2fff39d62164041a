import type { NodeId } from '../ids/node-id.js';
import type { MembershipConfig } from '../membership/config.js';
import type { MemberState } from '../membership/member-state.js';
import { Membership } from '../membership/membership.js';
import type { MembershipEvent } from '../membership/membership-events.js';
import type { RandomPort } from '../ports/random-port.js';
import { SeededRandom } from '../ports/seeded-random.js';
import type { TimerPort } from '../ports/timer-port.js';
import { ByteReader } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';

interface Scheduled {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
  cancelled: boolean;
}

/** A virtual-time event queue (binary heap by time, then insertion order). */
class Scheduler {
  now = 0;
  readonly #heap: Scheduled[] = [];
  #order = 0;

  schedule(delay: number, run: () => void): Scheduled {
    const entry: Scheduled = {
      at: this.now + Math.max(0, delay),
      order: this.#order++,
      run,
      cancelled: false,
    };
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Scheduled, heap[parent] as Scheduled)) break;
      [heap[i], heap[parent]] = [heap[parent] as Scheduled, heap[i] as Scheduled];
      i = parent;
    }
    return entry;
  }

  runUntil(end: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && (heap[0] as Scheduled).at <= end) {
      const top = heap[0] as Scheduled;
      const last = heap.pop() as Scheduled;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l] as Scheduled, heap[m] as Scheduled)) m = l;
          if (r < heap.length && before(heap[r] as Scheduled, heap[m] as Scheduled)) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m] as Scheduled, heap[i] as Scheduled];
          i = m;
        }
      }
      if (top.cancelled) continue;
      this.now = top.at;
      top.run();
    }
    this.now = Math.max(this.now, end);
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

interface SimNode {
  readonly id: NodeId;
  membership: Membership;
  generation: number;
  crashed: boolean;
  paused: boolean;
  stalled: Scheduled[];
  incarnation: number;
}

/** One event seen by one node, with the virtual time it happened. */
export interface ObservedEvent {
  readonly at: number;
  readonly observer: NodeId;
  readonly event: MembershipEvent;
}

export interface MembershipSimOptions {
  readonly seed: number;
  readonly size: number;
  readonly config: MembershipConfig;
  /** Probability each datagram is dropped. */
  readonly loss?: number;
  /** One-way latency range in ms. */
  readonly latency?: readonly [number, number];
}

/**
 * A deterministic network of {@link Membership} instances on virtual time, playing the
 * Coordinator's part: bodies are framed as `bodyLength:varint body piggyback` (the piggyback
 * filled from `takePiggyback`), every delivered message calls `noteAlive`, `handleMessage` and
 * `handlePiggyback`. Supports loss, partitions, crashes, restarts and pauses (a paused node's
 * timers and inbound messages are stalled, then run on resume). One seed, one run.
 */
export class MembershipSim {
  static readonly MAX_MESSAGE = 1400;
  readonly ids: NodeId[];
  readonly events: ObservedEvent[] = [];
  readonly messages = { sent: 0, delivered: 0, bytes: 0 };
  loss: number;
  readonly #scheduler = new Scheduler();
  readonly #nodes = new Map<NodeId, SimNode>();
  readonly #network: RandomPort;
  readonly #config: MembershipConfig;
  readonly #latency: readonly [number, number];
  readonly #seed: number;
  #partition: Map<NodeId, number> | undefined;

  constructor(options: MembershipSimOptions) {
    this.#seed = options.seed;
    this.#network = new SeededRandom(options.seed * 7919 + 1);
    this.#config = options.config;
    this.loss = options.loss ?? 0;
    this.#latency = options.latency ?? [1, 5];
    this.ids = Array.from({ length: options.size }, (_, i) => `n${String(i).padStart(3, '0')}` as NodeId);
    for (const id of this.ids) {
      const node: SimNode = {
        id,
        membership: undefined as unknown as Membership,
        generation: 0,
        crashed: false,
        paused: false,
        stalled: [],
        incarnation: 0,
      };
      this.#nodes.set(id, node);
      node.membership = this.#create(node);
    }
  }

  /** Virtual time in ms. */
  get now(): number {
    return this.#scheduler.now;
  }

  /** Starts every node, each seeded with the first node (which is seeded with the second). */
  startAll(): void {
    for (const [i, id] of this.ids.entries()) {
      const membership = this.membership(id);
      membership.start();
      membership.addSeed((i === 0 ? this.ids[1] : this.ids[0]) ?? id);
    }
  }

  membership(id: NodeId): Membership {
    return this.#node(id).membership;
  }

  /** Advances virtual time by `ms`, running everything due. */
  runFor(ms: number): void {
    this.#scheduler.runUntil(this.#scheduler.now + ms);
  }

  /** Runs in steps of `step` until `done()` or `limit` ms passed; returns whether `done()` held. */
  runUntil(done: () => boolean, limit: number, step = 50): boolean {
    const end = this.now + limit;
    while (this.now < end) {
      if (done()) return true;
      this.runFor(step);
    }
    return done();
  }

  /** What `observer` believes about `target` (undefined: unknown). */
  view(observer: NodeId, target: NodeId): MemberState | undefined {
    return this.membership(observer)
      .members()
      .find((member) => member.id === target)?.state;
  }

  /** True when every running node in `observers` sees every id in `targets` in `state`. */
  allSee(observers: readonly NodeId[], targets: readonly NodeId[], state: MemberState): boolean {
    return observers.every((o) => targets.every((t) => o === t || this.view(o, t) === state));
  }

  /** Stops a node dead: its timers never run again and messages to it are lost. */
  crash(id: NodeId): void {
    const node = this.#node(id);
    node.crashed = true;
    node.generation++;
    node.membership.stop();
  }

  /** Starts a fresh process for a crashed node, with its persisted incarnation, joining via `seed`. */
  restart(id: NodeId, seed: NodeId): void {
    const node = this.#node(id);
    node.crashed = false;
    node.paused = false;
    node.stalled = [];
    node.generation++;
    node.membership = this.#create(node);
    node.membership.start();
    node.membership.addSeed(seed);
  }

  /** Stalls a node: its timers and inbound messages wait until {@link resume}. */
  pause(id: NodeId): void {
    this.#node(id).paused = true;
  }

  /** Runs what a paused node missed, in order, as a process waking from a stall would. */
  resume(id: NodeId): void {
    const node = this.#node(id);
    node.paused = false;
    const stalled = node.stalled;
    node.stalled = [];
    for (const entry of stalled) if (!entry.cancelled) this.#scheduler.schedule(0, entry.run);
  }

  /** Splits the network into groups; messages across groups are lost until {@link heal}. */
  partition(...groups: readonly NodeId[][]): void {
    this.#partition = new Map();
    for (const [index, group] of groups.entries()) for (const id of group) this.#partition.set(id, index);
  }

  heal(): void {
    this.#partition = undefined;
  }

  /** Events `observer` saw about `peer` of `type`. */
  eventsOf(type: MembershipEvent['type'], peer?: NodeId, observer?: NodeId): ObservedEvent[] {
    return this.events.filter(
      (e) =>
        e.event.type === type &&
        (peer === undefined || e.event.peer === peer) &&
        (observer === undefined || e.observer === observer),
    );
  }

  /** A message for replaying a failing run. */
  describe(): string {
    return `seed=${this.#seed} t=${this.now}`;
  }

  #node(id: NodeId): SimNode {
    const node = this.#nodes.get(id);
    if (node === undefined) throw new Error(`unknown node ${id}`);
    return node;
  }

  #create(node: SimNode): Membership {
    const index = this.ids.indexOf(node.id);
    const random = new SeededRandom(this.#seed * 1_000_003 + index * 101 + node.generation);
    const membership: Membership = new Membership({
      self: node.id,
      timers: this.#timersFor(node),
      random,
      config: this.#config,
      incarnation: node.incarnation,
      onIncarnation: (n) => {
        node.incarnation = n;
      },
      send: (to, body) => this.#send(node, membership, to, body),
    });
    membership.onEvent((event) => this.events.push({ at: this.now, observer: node.id, event }));
    return membership;
  }

  #timersFor(node: SimNode): TimerPort {
    const generation = node.generation;
    return {
      now: () => 1_700_000_000_000 + this.#scheduler.now,
      monotonic: () => this.#scheduler.now,
      setTimeout: (fn, ms) => {
        const entry = this.#onNode(node, generation, ms, fn);
        return () => {
          entry.cancelled = true;
        };
      },
    };
  }

  /** Schedules work that runs as `node` (generation `generation`): skipped if crashed, stalled if paused. */
  #onNode(node: SimNode, generation: number, delay: number, fn: () => void): Scheduled {
    const entry: Scheduled = this.#scheduler.schedule(delay, () => {
      if (node.crashed || node.generation !== generation) return;
      if (node.paused) node.stalled.push(entry);
      else fn();
    });
    return entry;
  }

  #send(from: SimNode, membership: Membership, to: NodeId, body: Uint8Array): void {
    const frame = new ByteWriter().writeBytes(body);
    const piggyback = membership.takePiggyback(MembershipSim.MAX_MESSAGE - frame.length);
    if (piggyback !== undefined) frame.writeRaw(piggyback);
    const bytes = frame.finish();
    this.messages.sent++;
    this.messages.bytes += bytes.length;
    const target = this.#nodes.get(to);
    if (target === undefined || target.crashed) return;
    if (this.#partition !== undefined && this.#partition.get(from.id) !== this.#partition.get(to)) return;
    if (this.#network.next() < this.loss) return;
    const [min, max] = this.#latency;
    const delay = min + this.#network.next() * (max - min);
    this.#onNode(target, target.generation, delay, () => {
      this.messages.delivered++;
      const reader = new ByteReader(bytes);
      const inner = reader.readBytes(bytes.length);
      const rest = reader.readRaw(reader.remaining);
      target.membership.noteAlive(from.id);
      target.membership.handleMessage(from.id, inner);
      if (rest.length > 0) target.membership.handlePiggyback(from.id, rest);
    });
  }
}
