import {
  type Compression,
  Coordinator,
  generateSecret,
  Keyring,
  type KeyValueStore,
  MemoryStore,
  type NodeId,
  randomNodeId,
  type SharedMap,
  type SharedStream,
  valueEquals,
} from '@shoal/core';
import { nodeEd25519, nodeSha256, nodeXChaCha20Poly1305, nodeZlibCompression } from '@shoal/node';
import { SimulatedNetwork } from '@shoal/transport-memory';
import { recordingPort, type SentMessage, TrafficLog, Wiretap } from './shoal-traffic.js';
import type { MapWrite, Pair, PairSetup, Side, Subject, SyncOutcome } from './subject.js';
import { mapWrites } from './workload-data.js';

/** One-way delay of the simulated link, ms; round trips are measured in units of twice this. */
const LATENCY = 10;
/** A UDP datagram that survives common MTUs, as the task's transports use. */
const MAX_MESSAGE_SIZE = 1200;
const CHANNEL = 'bench';
/** The default network name (`config.network`). */
const NETWORK = 'shoal';
/** Writes happen while the peers are apart, so eager push is off: only anti-entropy syncs. */
const CONFIG = { fanout: 0 };

/**
 * Shoal: two Coordinators on a lossless {@link SimulatedNetwork} with fixed latency. Between
 * syncs the two nodes are partitioned (and virtual time stands still), so every sync is a
 * reconnect. Bytes are every datagram sent from the heal until both replicas hold the same
 * state, plus the answers already under way then; open mode unless `sealed`. A synced pair
 * without `memory` is built as {@link shoalClonedPair} builds it.
 */
export function shoalSubject(sealed: boolean, compression: Compression = nodeZlibCompression): Subject {
  return {
    name: sealed ? 'Shoal (sealed)' : 'Shoal',
    maxKeys: Number.POSITIVE_INFINITY,
    pair: (setup) => ShoalPair.create(setup, sealed, setup.synced && setup.memory === false, compression),
  };
}

/**
 * A Shoal pair (open mode) where `b` starts as a copy of `a`'s store (as a restored backup
 * would), so the two hold the same state but have never exchanged a message: no peer memory.
 * `setup.synced` is ignored.
 */
export function shoalClonedPair(setup: PairSetup): Promise<Pair> {
  return ShoalPair.create(setup, false, true, nodeZlibCompression);
}

interface Node {
  readonly id: NodeId;
  readonly coordinator: Coordinator;
  readonly map: SharedMap;
  readonly stream: SharedStream;
}

class ShoalPair implements Pair {
  readonly #net: SimulatedNetwork;
  readonly #nodes: Record<Side, Node>;
  readonly #log: TrafficLog;
  /** Keys written since the last sync: converged once both sides agree on each. */
  readonly #pending = new Set<string>();

  private constructor(net: SimulatedNetwork, nodes: Record<Side, Node>, log: TrafficLog) {
    this.#net = net;
    this.#nodes = nodes;
    this.#log = log;
  }

  static async create(
    setup: PairSetup,
    sealed: boolean,
    clone: boolean,
    compression: Compression,
  ): Promise<ShoalPair> {
    const net = new SimulatedNetwork({ seed: 1, latency: LATENCY, maxMessageSize: MAX_MESSAGE_SIZE });
    const ids = new Set<NodeId>();
    const idRandom = net.random('bench-ids');
    const freshId = () => {
      const id = randomNodeId(idRandom);
      ids.add(id);
      return id;
    };
    const secret = sealed ? generateSecret() : undefined;
    const wiretap = secret === undefined ? undefined : new Wiretap(new Keyring(NETWORK, [secret]));
    const log = new TrafficLog(wiretap);
    const node = async (seed?: (storage: KeyValueStore) => Promise<void>, id = freshId()): Promise<Node> => {
      const storage = net.storage(id);
      const coordinator = await Coordinator.create({
        id,
        port: recordingPort(net.connect(id), id, () => net.now(), log),
        timers: net.timersFor(id),
        random: net.random(id),
        storage,
        config: CONFIG,
        // As `openNode` runs on Node (the compression unless a bench swaps it).
        compression,
        aead: nodeXChaCha20Poly1305,
        signer: nodeEd25519,
        sha256: nodeSha256,
        ...(secret === undefined ? {} : { secret }),
      });
      await wiretap?.add(id, storage);
      await seed?.(storage);
      const channel = await coordinator.channel(CHANNEL);
      return { id, coordinator, map: channel.map('m'), stream: channel.stream('log') };
    };
    let a = await node(setup.writers > 1 ? (store) => seedWriters(store, setup, freshId) : undefined);
    if (setup.writers === 1) await writeAll(a, mapWrites(0, setup.keys));
    if (clone) {
      // A restart stores a's own synced clock, so the copy taken then vouches for a's writes.
      await a.coordinator.dispose();
      a = await node(undefined, a.id);
    }
    const b = await node(clone ? (store) => copyMissing(net.storage(a.id), store) : undefined);
    net.partition([a.id], [b.id]);
    await a.coordinator.start();
    await b.coordinator.start();
    const pair = new ShoalPair(net, { a, b }, log);
    if (setup.synced && !clone) {
      await pair.sync();
      await pair.#settle();
    }
    return pair;
  }

  /**
   * Keeps the link up for a few gossip rounds after a setup sync, as a pair that has been in
   * touch for a while would be: the rounds that follow convergence (each side's digest, relative
   * to a set both now hold) finish, so the measured reconnect starts from settled peer memory.
   * Sending a first message to a peer waits one round trip for its key (ADR 0045), which alone
   * pushed those rounds past the partition that used to end setup right after convergence.
   */
  async #settle(): Promise<void> {
    this.#net.heal();
    await this.#net.runFor(1_000);
    this.#net.partition([this.#nodes.a.id], [this.#nodes.b.id]);
    await this.#net.runFor(3 * LATENCY);
  }

  async write(side: Side, writes: readonly MapWrite[]): Promise<void> {
    await writeAll(this.#nodes[side], writes);
    for (const { key } of writes) this.#pending.add(key);
  }

  async append(side: Side, payloads: readonly string[]): Promise<void> {
    const node = this.#nodes[side];
    const encoder = new TextEncoder();
    for (const payload of payloads) void node.stream.append(encoder.encode(payload));
    await node.coordinator.flush();
  }

  async sync(): Promise<SyncOutcome> {
    const { a, b } = this.#nodes;
    const first = this.#log.length;
    this.#net.heal();
    const started = performance.now();
    if (!(await this.#net.runUntil(() => this.#converged(), { timeout: 600_000 }))) {
      throw new Error('Shoal did not converge within 600 virtual seconds');
    }
    const ms = performance.now() - started;
    const convergedAt = this.#net.now();
    // Answers already under way when the replicas converged belong to this exchange.
    await this.#net.runFor(LATENCY);
    this.#net.partition([a.id], [b.id]);
    const last = this.#log.length;
    // Drain what is still in flight, so no leftover answer leaks into the next sync.
    await this.#net.runFor(3 * LATENCY);
    const sent = this.#log
      .slice(first, last)
      .filter((m) => m.time <= convergedAt || (m.answer && m.time <= convergedAt + LATENCY));
    return summarize(sent, convergedAt, ms);
  }

  async dispose(): Promise<void> {
    this.#net.heal();
    await Promise.all([
      this.#nodes.a.coordinator.dispose(),
      this.#nodes.b.coordinator.dispose(),
      this.#net.runFor(5_000),
    ]);
  }

  #converged(): boolean {
    const { a, b } = this.#nodes;
    if (a.map.size !== b.map.size || a.stream.size !== b.stream.size) return false;
    for (const key of this.#pending) {
      const ours = a.map.get(key);
      const theirs = b.map.get(key);
      if (ours === undefined || theirs === undefined || !valueEquals(ours, theirs)) return false;
      this.#pending.delete(key);
    }
    return true;
  }
}

/** Local writes, one `set` per key, then wait until all are durable. */
async function writeAll(node: Node, writes: readonly MapWrite[]): Promise<void> {
  for (const { key, value } of writes) void node.map.set(key, { v: value.v, s: value.s });
  await node.coordinator.flush();
}

/**
 * Gives a node's disk the records it would hold after syncing with `setup.writers` writers.
 * Syncing each short-lived writer through the protocol would cost O(writers × keys) set-up
 * time (each newcomer writer is first sent the whole map); a node persists exactly the
 * entries and per-writer synced clocks that such syncs leave, so each writer writes on its own
 * store and its records are copied (the node's own identity records are kept).
 */
async function seedWriters(store: KeyValueStore, setup: PairSetup, freshId: () => NodeId): Promise<void> {
  const net = new SimulatedNetwork({ seed: 2 });
  const perWriter = Math.ceil(setup.keys / setup.writers);
  for (let w = 0; w < setup.writers; w++) {
    const storage = new MemoryStore();
    const id = freshId();
    // Kept open past the writer's dispose, which stores its own synced clock on the way out.
    const kept = new Proxy(storage, {
      get: (target, property) => {
        if (property === 'close') return async () => {};
        const member = Reflect.get(target, property, target);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    });
    const writer = await Coordinator.create({ id, timers: net.timersFor(id), storage: kept, config: CONFIG });
    const map = (await writer.channel(CHANNEL)).map('m');
    for (const { key, value } of mapWrites(w * perWriter, Math.min(setup.keys, (w + 1) * perWriter))) {
      void map.set(key, { v: value.v, s: value.s });
    }
    await writer.dispose();
    await copyMissing(storage, store);
  }
}

/** Copies every record of `from` that `to` lacks (the node's own identity records are kept). */
async function copyMissing(from: KeyValueStore, to: KeyValueStore): Promise<void> {
  for await (const [key, value] of from.scan(new Uint8Array())) {
    if ((await to.get(key)) === undefined) await to.put(key, value);
  }
}

function summarize(sent: readonly SentMessage[], convergedAt: number, ms: number): SyncOutcome {
  const breakdown: Record<string, number> = {
    'digest body': 0,
    'delta body': 0,
    'envelope headers': 0,
    membership: 0,
  };
  let bytes = 0;
  let messages = 0;
  let firstSync = Number.POSITIVE_INFINITY;
  for (const m of sent) {
    if (m.kind === 'membership' || m.kind === 'hello') {
      breakdown.membership = (breakdown.membership ?? 0) + m.size;
      continue;
    }
    bytes += m.size - m.piggyback;
    messages++;
    firstSync = Math.min(firstSync, m.time);
    breakdown.membership = (breakdown.membership ?? 0) + m.piggyback;
    const key = m.kind === 'digest' ? 'digest body' : 'delta body';
    breakdown[key] = (breakdown[key] ?? 0) + m.body;
    breakdown['envelope headers'] = (breakdown['envelope headers'] ?? 0) + m.size - m.body - m.piggyback;
  }
  const roundTrips = messages === 0 ? 0 : (convergedAt - firstSync) / (2 * LATENCY);
  return { bytes, messages, roundTrips, ms, breakdown };
}
