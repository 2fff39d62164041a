import type { Timestamp } from '../clock/timestamp.js';
import type { StreamEntry } from '../crdt/event-log.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { type RandomPort, sample } from '../ports/random-port.js';
import type { TimerPort } from '../ports/timer-port.js';
import type { MessagePeers } from '../protocol/node-id-codec.js';
import {
  encodeDelta,
  encodeDigest,
  type OutgoingDelta,
  type OutgoingObject,
} from '../protocol/sync-codec.js';
import type {
  DeltaMessage,
  DigestMessage,
  MapGhost,
  MapProof,
  ObjectDelta,
  SummaryAnswer,
} from '../protocol/sync-messages.js';
import { bytesEqual } from '../storage/bytes.js';
import { appendAll } from '../sync/append-all.js';
import { type ClockSet, lackingAll } from '../sync/clock-set.js';
import { DeltaChunker, type ObjectPlan, planHasContent } from '../sync/delta-chunker.js';
import type { DigestSource } from '../sync/digest-builder.js';
import { clockSetOf, DigestMemory, type SentObject } from '../sync/digest-memory.js';
import { IdleBackoff } from '../sync/idle-backoff.js';
import type { PlanAsker } from '../sync/stream-replica.js';
import type { Lacking } from '../sync/synced-object.js';
import type { ChannelState } from './channel-state.js';
import { objectId } from './channel-state.js';
import { ClockQuarantine } from './clock-quarantine.js';
import type { CoordinatorConfig } from './config.js';

/** How the engine reaches the rest of the node. */
export interface SyncEngineDeps {
  /** This node: the sender of everything the engine encodes. */
  readonly self: NodeId;
  readonly channels: ReadonlyMap<string, ChannelState>;
  readonly timers: TimerPort;
  readonly random: RandomPort;
  readonly config: CoordinatorConfig;
  /** Peers believed reachable now. */
  readonly peers: () => readonly NodeId[];
  /** The live members of this node's member list (LAN peers, hubs; never a hub's leaf clients). */
  readonly members: () => readonly NodeId[];
  /** Whether this node is a leaf (a hub's client, ADR 0022). */
  readonly leaf: boolean;
  readonly sendDigest: (to: NodeId, body: Uint8Array) => void;
  readonly sendDelta: (to: NodeId, body: Uint8Array) => void;
  /** Largest body a message may carry. */
  readonly budget: () => number;
  /**
   * Largest raw delta body to pack into one message: above `budget` when deltas have been
   * compressing well, so one datagram carries more entries (a chunk that does not compress
   * enough is fragmented, never lost).
   */
  readonly deltaBudget: () => number;
  /** Measures how well a full delta chunk compresses, for the next `deltaBudget` (see Courier). */
  readonly calibrateDeltas: (body: Uint8Array) => void;
  /** True when this node completed a sync of `channel` within the tombstone horizon. */
  readonly isFresh: (channel: ChannelState) => boolean;
  /**
   * Called before a peer's digest or delta for `channel` is processed, with whether that peer
   * is fresh: a stale replica meeting a fresh one refreshes here, before it sends any entry.
   */
  readonly meetPeer: (channel: ChannelState, peerFresh: boolean) => void;
  /** Called when a pull of `channel` completed (its final chunk arrived), with the peer's freshness. */
  readonly afterPull: (channel: ChannelState, peerFresh: boolean) => void;
  /** A peer synced a channel this node has not opened (it is not answered this time). */
  readonly unknownChannel: (name: string) => void;
  /** Reports an error on `node.errors`. */
  readonly report: (error: ShoalError) => void;
}

/** Per peer and channel: how far apart the two replicas were at the last exchange. */
export interface PeerSyncStatus {
  readonly peer: NodeId;
  /** Ms since this peer's last digest for the channel (monotonic). */
  readonly lastDigestAgo: number;
  /**
   * Entries we hold that the peer lacked, per its last digest, counted as one answer would plan
   * them: a map counts at most `limits.maxAnswerEntries` (5 000 when kept in the store), so a
   * newcomer to a large channel shows that many until it is closer.
   */
  readonly theyLack: number;
  /** Their size as a delta would carry them (before compression and sealing). */
  readonly theyLackBytes: number;
  /** Stream entries the peer had that we lack, per its last digest. */
  readonly weLackEntries: number;
  /** Map writers the peer had seen further than we have (entries unknown until sent). */
  readonly weLackWriters: number;
  /** True when neither side lacked anything at the last exchange. */
  readonly inSync: boolean;
}

/** Counters of the sync engine, for health and benchmarks. */
export interface SyncStats {
  rounds: number;
  digestsSent: number;
  deltasSent: number;
  pushesSent: number;
  entriesSent: number;
  entriesReceived: number;
  pullsTimedOut: number;
}

/** Per object id, what is queued for the next push. */
type PendingPush = Map<string, ObjectPlan>;

/** A {@link SyncEngine.syncWith} call waiting for one peer's answer on one channel. */
interface SyncWaiter {
  readonly peer: NodeId;
  /** Monotonic time of the last chunk of the answer (or of the last digest sent). */
  lastProgress: number;
  readonly done: () => void;
}

/** What {@link SyncEngine.syncWith} reports. */
export interface SyncWithResult {
  readonly peer: NodeId;
  readonly synced: readonly string[];
  readonly unanswered: readonly string[];
}

/**
 * Most chunks a round sends ahead of its digest on belief alone. Beyond that the ordinary
 * exchange (the peer asks for what it lacks) costs half a round trip more but nothing wasted.
 */
const MAX_ATTACHED_CHUNKS = 64;
/** Chunks an answer must need, at the running compression estimate, to be measured and cut again. */
const CALIBRATE_AT = 8;

/**
 * How many idle gossip intervals a write counts as news that anti-entropy repairs push on: a
 * write all of whose pushes were lost reaches its first peer within about one (the slowest
 * pull), and by two every peer that is going to hear it by push has.
 */
const NEWS_WINDOW = 2;

/**
 * How recent a non-member's last digest for a channel must be for it to count as following the
 * channel (and get every push of it), in ms: three of a leaf's idle rounds (a minute each).
 */
const FOLLOW_WINDOW = 180_000;

/**
 * Push-pull anti-entropy plus eager push with relay (docs/design.md §4).
 *
 * Every `gossipInterval` (±25% jitter) the engine sends, for each channel, its digest to one
 * random peer, with the entries it believes that peer lacks attached when they fit the same
 * message. The peer merges those, then answers with the delta we lack (always ending with a
 * `final` chunk, possibly empty) and, unless it is already pulling that channel from someone or
 * lacks nothing we hold, its own digest; we answer that with the delta it lacks. So one round
 * trip reconciles both directions, and a reconnect after a few changes costs two messages.
 *
 * A node pulls each channel from at most one peer at a time: while a pull is in flight (until
 * its final chunk, or `pullTimeout` of silence) it starts no other round for that channel and
 * answers other peers' digests without asking for data. A newcomer is therefore served the
 * whole state once, by one peer, however many peers notice it at once.
 *
 * Local writes are pushed (once durable, after the current turn, so a burst travels together)
 * to `fanout` random members and to every non-member following the channel (a hub's leaf
 * clients), and a peer that receives a push of entries new to it pushes them on once;
 * anti-entropy repairs whatever the pushes lost.
 *
 * A channel where nothing moves backs its rounds off, doubling up to `idleGossipInterval`; any
 * write, entry sent or received, new peer, or digest showing we lack something restores the
 * full rate at once.
 */
export class SyncEngine {
  readonly stats: SyncStats = {
    rounds: 0,
    digestsSent: 0,
    deltasSent: 0,
    pushesSent: 0,
    entriesSent: 0,
    entriesReceived: 0,
    pullsTimedOut: 0,
  };
  readonly #deps: SyncEngineDeps;
  /**
   * Per channel, the pull in flight: from whom, when it last made progress, the entries our
   * digest carried, which count as held by the peer once its final answer shows it took them,
   * and whether that digest was a summary.
   */
  readonly #pulling = new Map<
    string,
    {
      peer: NodeId;
      lastProgress: number;
      attached?: readonly OutgoingObject[];
      /** The hash of the set our digest summarized: an answer naming it ends the pull. */
      summary?: Uint8Array;
    }
  >();
  readonly #memory: DigestMemory;
  readonly #quarantine: ClockQuarantine;
  readonly #idle: IdleBackoff;
  readonly #pending = new Map<string, PendingPush>();
  /** Per channel with a push pending, the peer that holds all of it (null: none known to). */
  readonly #pushExcept = new Map<string, NodeId | null>();
  /** Per channel, when entries were last pushed (own writes or relays). */
  readonly #lastPush = new Map<string, number>();
  /** Per channel, the `syncWith` calls waiting for a peer's final answer. */
  readonly #waiters = new Map<string, Set<SyncWaiter>>();
  /**
   * Per channel and peer, when we last answered its whole digest with entries, and the claims
   * that answer carried: a reply digest soon after crossed that answer and is not served twice.
   */
  readonly #lastAnswers = new Map<string, Map<NodeId, { sent: readonly SentObject[]; at: number }>>();
  #pushScheduled = false;
  #cancelRound: (() => void) | undefined;
  #running = false;

  constructor(deps: SyncEngineDeps) {
    this.#deps = deps;
    this.#quarantine = new ClockQuarantine(deps.timers, deps.config.maxDrift, deps.report);
    this.#memory = new DigestMemory(deps.config.limits.maxPeers);
    this.#idle = new IdleBackoff(deps.config.gossipInterval, deps.config.idleGossipInterval);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleRound(this.#deps.random.next() * this.#deps.config.gossipInterval);
  }

  stop(): void {
    this.#running = false;
    this.#cancelRound?.();
    this.#cancelRound = undefined;
  }

  /** A peer appeared: start a round soon rather than at the next tick, so joins are quick. */
  peerUp(): void {
    if (!this.#running) return;
    this.#idle.activeAll();
    this.#cancelRound?.();
    this.#scheduleRound(this.#deps.random.next() * (this.#deps.config.gossipInterval / 4));
  }

  /** One anti-entropy round: a digest per channel to one random peer. */
  round(): void {
    this.stats.rounds++;
    const now = this.#deps.timers.monotonic();
    for (const channel of this.#deps.channels.values()) {
      const pull = this.#pulling.get(channel.name);
      if (pull !== undefined) {
        if (now - pull.lastProgress < this.#deps.config.pullTimeout) continue;
        this.#pulling.delete(channel.name);
        this.stats.pullsTimedOut++;
      }
      if (!this.#idle.due(channel.name, now)) continue;
      const [peer] = sample(this.#deps.random, this.#partners(channel), 1);
      if (peer === undefined) continue;
      const { attached, summary } = this.#sendDigests(peer, channel, false, true);
      this.#pulling.set(channel.name, {
        peer,
        lastProgress: now,
        ...(attached === undefined ? {} : { attached }),
        ...(summary === undefined ? {} : { summary }),
      });
    }
  }

  /**
   * Answers a digest: the delta the sender lacks, then, once its last chunk is in, our own
   * digest unless we are already pulling this channel or the digest shows the sender has
   * nothing we lack. Only the answer to the last chunk is `final`, and earlier chunks that need
   * nothing get no answer: one final ends the sender's pull.
   */
  handleDigest(from: NodeId, digest: DigestMessage): void {
    if (this.#quarantine.holds(from)) return;
    if (digest.attached !== undefined && this.#quarantine.screen(from, digest.attached)) return;
    const channel = this.#deps.channels.get(digest.channel);
    // Not joined: no answer (the asker's pull times out); an answer would let it count a
    // sync of a channel we do not hold as completed.
    if (channel === undefined) {
      this.#deps.unknownChannel(digest.channel);
      return;
    }
    if (!channel.allows(from)) return;
    this.#deps.meetPeer(channel, digest.fresh);
    if (digest.attached !== undefined) this.#merge(from, channel, digest.attached, false);
    const now = this.#deps.timers.monotonic();
    const crossed = digest.reply ? this.#answeredRecently(from, channel.name, now) : undefined;
    const resolved =
      digest.summary === undefined
        ? this.#memory.receive(from, digest, now)
        : this.#memory.receiveSummary(from, digest, digest.summary, this.#clockSet(channel), now);
    if (resolved !== undefined && 'answer' in resolved) {
      this.#idle.active(channel.name);
      // The answer is our digest to the peer, which answers it with what we lack and a final
      // chunk: a pull, so that our own round does not summarize to it meanwhile.
      this.#startPull(channel.name, from, false);
      this.#sendAnswer(from, channel, resolved.answer);
      return;
    }
    if (crossed !== undefined) {
      // A reply within `pullTimeout` of our answer to the peer's whole digest: the peer's round
      // and its reply to ours crossed that answer on the wire, so the answer on its way serves
      // both (the reply can only lack less: what it gained since came from us, or our pushes
      // carry). What we believe it holds is its reply plus that answer. A round's digest (not a
      // reply) is always served: the peer's pull timed out, so our answer was lost, and refusing
      // it would leave a lossy peer waiting a round more.
      this.#memory.noteSent(from, channel.name, crossed);
      this.#sendDeltas(from, [emptyFinal(channel.name, false)], channel);
      return;
    }
    if (resolved !== undefined && lacksAnything(channel, resolved.digest)) this.#idle.active(channel.name);
    if (resolved === undefined) {
      this.#sendDeltas(from, [emptyFinal(channel.name, true)], channel);
      return;
    }
    const last = digest.scopeTo === null;
    const messages = this.#chunkAnswer(
      from,
      channel,
      planFor(channel, resolved.digest, this.#maxAnswerEntries(), { peer: from, now }),
    );
    if (last && digest.scopeFrom === '' && messages.length > 0)
      this.#noteAnswered(from, channel.name, messages, now);
    if (last && messages.length === 0) messages.push(emptyFinal(channel.name, false));
    this.#sendDeltas(
      from,
      last ? messages : messages.map((message) => ({ ...message, final: false })),
      channel,
    );
    if (digest.reply || !last) return;
    if (resolved.whole !== undefined && !lacksAnything(channel, resolved.whole)) {
      // The answer to our summary stands for the final chunk our pull waits for: we now know
      // the peer's whole set, and it holds nothing we lack.
      if (this.#answersOurSummary(from, channel.name, digest)) this.#endPull(from, channel, digest.fresh);
      return;
    }
    // The peer we pull from started a new exchange: our pull went unanswered, ask again.
    if (this.#startPull(channel.name, from, true)) this.#sendDigests(from, channel, true, false);
  }

  /**
   * Answers a summary whose buckets differ from ours with our clocks there (ADR 0047), or, when
   * that does not fit one message, with `unknownBase`: the peer then sends its full digest.
   */
  #sendAnswer(to: NodeId, channel: ChannelState, answer: SummaryAnswer): void {
    const digest: DigestMessage = {
      type: 'digest',
      channel: channel.name,
      reply: false,
      fresh: this.#deps.isFresh(channel),
      scopeFrom: '',
      scopeTo: null,
      objects: [],
      answer,
    };
    const body = encodeDigest(digest, this.#peers(to));
    if (body.length > this.#deps.budget()) {
      this.#sendDeltas(to, [emptyFinal(channel.name, true)], channel);
      return;
    }
    this.#deps.sendDigest(to, body);
    this.stats.digestsSent++;
  }

  /** True when `digest` answers the summary our pull of `channel` from `peer` sent. */
  #answersOurSummary(peer: NodeId, channel: string, digest: DigestMessage): boolean {
    const pull = this.#pulling.get(channel);
    return (
      pull?.peer === peer &&
      pull.summary !== undefined &&
      digest.answer !== undefined &&
      bytesEqual(pull.summary, digest.answer.base)
    );
  }

  /** Ends the pull of `channel` from `peer` as its final chunk would (for `syncWith` as well). */
  #endPull(peer: NodeId, channel: ChannelState, peerFresh: boolean): void {
    this.#pulling.delete(channel.name);
    this.#answered(peer, channel.name, true);
    this.#deps.afterPull(channel, peerFresh);
  }

  /**
   * What we answered `peer`'s whole digest with (as claims and stream positions), when that was
   * less than `pullTimeout` ago.
   */
  /** Most map entries one plan for a peer holds (`limits.maxAnswerEntries`). */
  #maxAnswerEntries(): number {
    return this.#deps.config.limits.maxAnswerEntries;
  }

  #answeredRecently(peer: NodeId, channel: string, now: number): readonly SentObject[] | undefined {
    const answered = this.#lastAnswers.get(channel)?.get(peer);
    return answered !== undefined && now - answered.at < this.#deps.config.pullTimeout
      ? answered.sent
      : undefined;
  }

  #noteAnswered(peer: NodeId, channel: string, messages: readonly OutgoingDelta[], now: number): void {
    let byPeer = this.#lastAnswers.get(channel);
    if (byPeer === undefined) {
      byPeer = new Map();
      this.#lastAnswers.set(channel, byPeer);
    }
    // Map values are not kept: belief moves by proofs alone (DigestMemory.noteSent).
    const sent = messages.flatMap((message) =>
      message.objects.map(
        (object): SentObject =>
          object.kind === 'map' ? { kind: 'map', name: object.name, proofs: object.proofs } : object,
      ),
    );
    byPeer.delete(peer);
    byPeer.set(peer, { sent, at: now });
    if (byPeer.size > this.#deps.config.limits.maxPeers) byPeer.delete(byPeer.keys().next().value as NodeId);
  }

  /**
   * Runs a round of every channel `peer` may sync now: sends our digests, resends a digest
   * whose answer made no progress for `pullTimeout`, and resolves once every channel's answer
   * ended with a final chunk, or at `timeout` with the channels still unanswered. Works while
   * stopped only as far as messages go out (the node's facade refuses that).
   */
  syncWith(peer: NodeId, timeout: number): Promise<SyncWithResult> {
    const channels = [...this.#deps.channels.values()].filter((channel) => channel.allows(peer));
    const timers = this.#deps.timers;
    return new Promise((resolve) => {
      const pending = new Map<string, SyncWaiter>();
      const synced: string[] = [];
      let cancelResend: (() => void) | undefined;
      let cancelDeadline: (() => void) | undefined;
      const finish = (): void => {
        cancelResend?.();
        cancelDeadline?.();
        for (const [name, waiter] of pending) this.#waiters.get(name)?.delete(waiter);
        resolve({ peer, synced, unanswered: [...pending.keys()] });
      };
      for (const channel of channels) {
        const waiter: SyncWaiter = {
          peer,
          lastProgress: Number.NEGATIVE_INFINITY,
          done: () => {
            pending.delete(channel.name);
            this.#waiters.get(channel.name)?.delete(waiter);
            synced.push(channel.name);
            if (pending.size === 0) finish();
          },
        };
        pending.set(channel.name, waiter);
        let waiters = this.#waiters.get(channel.name);
        if (waiters === undefined) {
          waiters = new Set();
          this.#waiters.set(channel.name, waiters);
        }
        waiters.add(waiter);
      }
      if (pending.size === 0) {
        finish();
        return;
      }
      const ask = (): void => {
        const now = timers.monotonic();
        for (const channel of channels) {
          const waiter = pending.get(channel.name);
          if (waiter === undefined || now - waiter.lastProgress < this.#deps.config.pullTimeout) continue;
          waiter.lastProgress = now;
          this.#startPull(channel.name, peer, true);
          const { summary } = this.#sendDigests(peer, channel, false, false);
          const pull = this.#pulling.get(channel.name);
          if (pull !== undefined && summary !== undefined) pull.summary = summary;
        }
        cancelResend = timers.setTimeout(ask, this.#deps.config.pullTimeout);
      };
      cancelDeadline = timers.setTimeout(finish, timeout);
      ask();
    });
  }

  /** What each peer and this node last told each other: kept across restarts (PeerMemoryKeeper). */
  get memory(): DigestMemory {
    return this.#memory;
  }

  /** Merges a delta; a final chunk from the peer we pull from ends the pull. */
  handleDelta(from: NodeId, delta: DeltaMessage): void {
    if (this.#quarantine.holds(from) || this.#quarantine.screen(from, delta.objects)) return;
    const channel = this.#deps.channels.get(delta.channel);
    if (channel === undefined) this.#deps.unknownChannel(delta.channel);
    if (channel === undefined || !channel.allows(from)) return;
    if (delta.unknownBase) {
      // The peer lost the base our last digest named: start over as at a first contact. A
      // summary that did not resolve there is answered so too: then the full form, which
      // always resolves.
      const sent = this.#memory.forgetBases(from, channel.name);
      if (sent === undefined) return;
      const pull = this.#pulling.get(channel.name);
      const ours = pull?.peer === from ? pull : undefined;
      const { summary } = this.#sendDigests(from, channel, sent.reply, false, ours?.summary === undefined);
      if (ours === undefined) return;
      if (summary === undefined) delete ours.summary;
      else ours.summary = summary;
      return;
    }
    this.#deps.meetPeer(channel, delta.fresh);
    // A leaf fed by its hub's pushes neither relays them (the hub gave them to every follower)
    // nor counts them as a reason to gossip at full rate (nothing is missing; its rounds idle).
    const fedByHub = delta.push && this.#deps.leaf && this.#deps.members().includes(from);
    this.#merge(from, channel, delta.objects, delta.push && !fedByHub, !fedByHub);
    if (delta.push) return;
    // The peer answered a digest of ours: it holds what we last sent it.
    if (delta.final) this.#memory.delivered(from, channel.name);
    this.#answered(from, channel.name, delta.final);
    const pull = this.#pulling.get(channel.name);
    if (pull?.peer !== from) return;
    if (delta.final) {
      this.#pulling.delete(channel.name);
      if (pull.attached !== undefined) this.#memory.noteSent(from, channel.name, pull.attached);
      this.#deps.afterPull(channel, delta.fresh);
    } else pull.lastProgress = this.#deps.timers.monotonic();
  }

  /** A chunk of `from`'s answer to a digest of ours arrived: progress, or (final) the end, for `syncWith`. */
  #answered(from: NodeId, channel: string, final: boolean): void {
    const waiters = this.#waiters.get(channel);
    if (waiters === undefined) return;
    for (const waiter of [...waiters]) {
      if (waiter.peer !== from) continue;
      if (final) waiter.done();
      else waiter.lastProgress = this.#deps.timers.monotonic();
    }
    if (waiters.size === 0) this.#waiters.delete(channel);
  }

  /**
   * Merges entries received from `from`. `relay`: they came by eager push, and those new here are pushed on.
   * `wake`: entries in it restore the channel's full gossip rate.
   */
  #merge(
    from: NodeId,
    channel: ChannelState,
    objects: readonly ObjectDelta[],
    relay: boolean,
    wake = true,
  ): void {
    if (wake && objects.some((object) => object.entries.length > 0)) this.#idle.active(channel.name);
    for (const object of objects) {
      this.stats.entriesReceived += object.entries.length;
      const fresh = channel.openObject(object.kind, object.name).merge(object, from);
      // Rumor mongering (Demers et al. 1987): an entry that arrived by push and was new here is
      // pushed on once, so a write reaches everyone in a few network delays even when some
      // pushes are lost; anti-entropy remains the guarantee. An entry that anti-entropy brought
      // is pushed on too while it is news: when every push of a write was lost, the rumor starts
      // from its first repair instead of crawling by anti-entropy alone (the 30 % loss tail of
      // issue 20). Older entries (a catch-up) are not: the others hold them.
      const relayed = relay ? fresh : wake && !this.#deps.leaf ? this.#news(fresh) : [];
      // Not back to `from`, which holds them.
      if (relayed.length > 0) {
        const plan = channel.openObject(object.kind, object.name).relayPlan(relayed);
        if (planHasContent(plan)) this.pushLocal(channel.name, plan, from);
      }
    }
  }

  /**
   * The entries written less than {@link NEWS_WINDOW} idle intervals ago by their own clock
   * (hybrid timestamps follow wall time): young enough for some peers to lack them still.
   */
  #news(entries: readonly Timestamp[]): Timestamp[] {
    const since = this.#deps.timers.now() - NEWS_WINDOW * this.#deps.config.idleGossipInterval;
    return entries.filter((entry) => entry.wall >= since);
  }

  /**
   * Queues local writes (or relayed ones) of one object for the eager push that follows the
   * current turn. Taken as a batch: a transaction's or a storage batch's writes cost one call.
   * `except`: a peer known to hold these entries, left out of this push unless the same push
   * carries entries it is not known to hold. `entries` is handed over: the engine may keep the
   * array and append to it.
   */
  pushLocal(channel: string, plan: ObjectPlan, except?: NodeId): void {
    this.#idle.active(channel);
    const holder = this.#pushExcept.get(channel);
    if (holder === undefined) this.#pushExcept.set(channel, except ?? null);
    else if (holder !== except) this.#pushExcept.set(channel, null);
    let pending = this.#pending.get(channel);
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(channel, pending);
    }
    const id = objectId(plan.kind, plan.name);
    const queued = pending.get(id);
    // The first plan of a turn is adopted as it is (a transaction's 100k writes are not copied
    // one by one); later ones are appended after it.
    pending.set(id, queued === undefined ? plan : joinPlans(queued, plan));
    if (this.#pushScheduled) return;
    this.#pushScheduled = true;
    queueMicrotask(() => this.#flushPushes());
  }

  /** Whether a push of `channel` would go anywhere now (a plan need not be made otherwise). */
  canPush(channel: string): boolean {
    const state = this.#deps.channels.get(channel);
    if (state === undefined || !this.#running) return false;
    return (this.#deps.leaf ? this.#partners(state) : this.#eligible(state)).length > 0;
  }

  /** Sends `plan` of `channel` to `peer` alone, as an answer's chunks (not a push). */
  sendPlan(peer: NodeId, channel: string, plan: ObjectPlan): void {
    const state = this.#deps.channels.get(channel);
    if (state === undefined || !this.#running) return;
    const chunker = new DeltaChunker(channel, this.#deps.deltaBudget(), false);
    chunker.add(plan);
    this.#sendDeltas(
      peer,
      chunker.finish().map((message) => ({ ...message, final: false })),
      state,
      false,
    );
  }

  /** How this node and each peer that sent a digest for `channel` compared at that time. */
  syncStatus(channel: ChannelState): PeerSyncStatus[] {
    const now = this.#deps.timers.monotonic();
    const statuses: PeerSyncStatus[] = [];
    for (const [peer, { at, digest }] of this.#memory.received(channel.name)) {
      let theyLack = 0;
      // Sized as an answer would be encoded (one unbounded chunk: no per-chunk headers).
      const answer = new DeltaChunker(channel.name, Number.POSITIVE_INFINITY, false);
      for (const plan of planFor(channel, digest, this.#maxAnswerEntries())) {
        theyLack += plan.entries.length;
        answer.add(plan);
      }
      const { entries: weLackEntries, writers: weLackWriters } = whatWeLack(channel, digest);
      statuses.push({
        peer,
        lastDigestAgo: now - at,
        theyLack,
        theyLackBytes: answer.bytes,
        weLackEntries,
        weLackWriters,
        inSync: theyLack === 0 && weLackEntries === 0 && weLackWriters === 0,
      });
    }
    return statuses;
  }

  /** True while `channel` is being pulled (tests and health). */
  isPulling(channel: string): boolean {
    return this.#pulling.has(channel);
  }

  /**
   * Records a pull of `channel` from `peer` unless one is in flight. With `restart`, one from
   * the same peer is replaced: that peer started a new exchange without answering it, so it was
   * most likely lost (at worst the peer answers twice).
   */
  #startPull(channel: string, peer: NodeId, restart: boolean): boolean {
    const pull = this.#pulling.get(channel);
    const now = this.#deps.timers.monotonic();
    const replaceable = restart && pull?.peer === peer;
    if (pull !== undefined && !replaceable && now - pull.lastProgress < this.#deps.config.pullTimeout)
      return false;
    this.#pulling.set(channel, { peer, lastProgress: now });
    return true;
  }

  /**
   * Where a push of `channel` goes. Among members, `fanout` random ones: the epidemic (each
   * pushes on what is new to it once) carries it to the rest. Every reachable non-member that
   * follows the channel (a hub's leaf clients whose digests for it keep arriving, within
   * {@link FOLLOW_WINDOW}) gets every push: that is what lets leaves idle their own rounds, and
   * what makes a hub deliver a chat message to all its clients at once. A leaf pushes to its
   * hubs, which fan out; to other leaves only when no hub can open its messages (a blind relay).
   * `except`: a peer left out (it holds what is pushed).
   */
  #pushTargets(channel: ChannelState, except?: NodeId): NodeId[] {
    const { fanout } = this.#deps.config;
    if (this.#deps.leaf) return sample(this.#deps.random, this.#partners(channel), fanout);
    const all = this.#eligible(channel);
    const eligible = except === undefined ? all : all.filter((peer) => peer !== except);
    const memberIds = new Set(this.#deps.members());
    const members = eligible.filter((peer) => memberIds.has(peer));
    const now = this.#deps.timers.monotonic();
    const followers = new Set<NodeId>();
    for (const [peer, { at }] of this.#memory.received(channel.name)) {
      if (now - at <= FOLLOW_WINDOW && !memberIds.has(peer)) followers.add(peer);
    }
    return [...sample(this.#deps.random, members, fanout), ...eligible.filter((peer) => followers.has(peer))];
  }

  /**
   * Whom rounds (and a leaf's pushes) go to: any eligible peer; for a leaf, its hubs when one
   * can be reached, since a hub holds what every client gave it and follows the leaf's channels
   * by its digests. Leaves sync with each other only behind a blind relay, which is no member.
   */
  #partners(channel: ChannelState): NodeId[] {
    const eligible = this.#eligible(channel);
    if (!this.#deps.leaf) return eligible;
    const memberIds = new Set(this.#deps.members());
    const hubs = eligible.filter((peer) => memberIds.has(peer));
    return hubs.length > 0 ? hubs : eligible;
  }

  #eligible(channel: ChannelState): NodeId[] {
    return this.#deps.peers().filter((peer) => channel.allows(peer) && !this.#quarantine.holds(peer));
  }

  /**
   * Sends our digest of `channel` to `to`. `attach`: when the digest fits one message, add the
   * entries we believe `to` lacks, if they fit the same message; returns those entries, and the
   * hash of our set when the digest was a summary. `summarize`: a round's digest too long for
   * one message may go as a summary (not after the peer could not resolve one).
   */
  #sendDigests(
    to: NodeId,
    channel: ChannelState,
    reply: boolean,
    attach: boolean,
    summarize = true,
  ): { attached?: readonly OutgoingObject[]; summary?: Uint8Array } {
    const sources = digestSources(channel);
    const options = { reply, fresh: this.#deps.isFresh(channel), budget: this.#deps.budget(), summarize };
    const digests = this.#memory.outgoing(to, channel.name, sources, options);
    const peers = this.#peers(to);
    let attached: OutgoingDelta[] | undefined;
    for (const digest of digests) {
      let body = encodeDigest(digest, peers);
      if (attach && digests.length === 1) attached = this.#attachment(to, channel, body.length);
      const last = attached?.pop();
      if (attached !== undefined && last !== undefined) {
        // Earlier chunks go ahead as plain (non-final) deltas, so an in-order link delivers
        // them before the digest is answered; the last rides in the digest itself.
        this.#sendDeltas(to, attached, channel, false);
        body = encodeDigest(digest, peers, last.objects);
        this.#countSent(channel.name, last.objects);
        attached.push(last);
      }
      this.#deps.sendDigest(to, body);
      this.stats.digestsSent++;
    }
    const summary = digests.length === 1 ? digests[0]?.summary?.hash : undefined;
    return {
      ...(attached === undefined ? {} : { attached: attached.flatMap((message) => message.objects) }),
      ...(summary === undefined ? {} : { summary }),
    };
  }

  /**
   * The chunks `to` lacks by what we believe it holds, each small enough to ride beside a digest
   * of `digestBytes`, when there are some and at most {@link MAX_ATTACHED_CHUNKS}; else
   * undefined (the exchange fetches them: a belief gone stale should not cost much).
   */
  #attachment(to: NodeId, channel: ChannelState, digestBytes: number): OutgoingDelta[] | undefined {
    // While pushes are spreading fresh entries, the peer most likely holds what it lacks by our
    // belief (pushes move no clock): attaching would send each write twice. The ordinary
    // exchange, with its summaries of entries held beyond a clock, sends only claims then.
    const pushed = this.#lastPush.get(channel.name);
    if (pushed !== undefined && this.#deps.timers.monotonic() - pushed < this.#deps.config.gossipInterval)
      return undefined;
    const believed = this.#memory.believed(to, channel.name);
    if (believed === undefined) return undefined;
    // A belief lags behind the peer's own writes, which it holds: never attach those back.
    const plans = planFor(channel, believed, this.#maxAnswerEntries())
      .map((plan) => withoutWriter(plan, to))
      .filter(planHasContent);
    if (plans.length === 0) return undefined;
    const chunker = new DeltaChunker(channel.name, this.#deps.deltaBudget() - digestBytes, false);
    for (const plan of plans) chunker.add(plan);
    const messages = chunker.finish().map((message) => ({ ...message, final: false }));
    return messages.length <= MAX_ATTACHED_CHUNKS && chunker.oversized === 0 ? messages : undefined;
  }

  /**
   * Cuts an answer into chunks. A large one (several chunks) is cut by the budget its first
   * chunk's real compression gives, not the running average's: the first
   * {@link CALIBRATE_AT} chunks are cut by the average to measure it, then the whole answer by
   * the budget that gives. Chunks a few times larger deflate better too.
   */
  #chunkAnswer(to: NodeId, channel: ChannelState, plans: readonly ObjectPlan[]): OutgoingDelta[] {
    const chunk = (maxMessages?: number) => {
      const chunker = new DeltaChunker(channel.name, this.#deps.deltaBudget(), false, maxMessages);
      for (const plan of plans) chunker.add(plan);
      return { messages: chunker.finish(), complete: chunker.complete };
    };
    const probe = chunk(CALIBRATE_AT);
    const first = probe.messages[0];
    if ((probe.complete && probe.messages.length < CALIBRATE_AT) || first === undefined)
      return probe.messages;
    const budget = this.#deps.deltaBudget();
    this.#deps.calibrateDeltas(encodeDelta(first, this.#peers(to)));
    return probe.complete && this.#deps.deltaBudget() === budget ? probe.messages : chunk().messages;
  }

  /**
   * Sends delta chunks to `to`. `believed`: count them as held by `to` at once (answers: if one
   * is lost, the peer's pull times out and its next digest corrects the belief); chunks sent
   * ahead of a digest are counted only once the peer's final answer shows it took them.
   */
  #sendDeltas(to: NodeId, messages: readonly OutgoingDelta[], channel?: ChannelState, believed = true): void {
    const fresh = channel !== undefined && this.#deps.isFresh(channel);
    const peers = this.#peers(to);
    for (const message of messages) {
      this.#deps.sendDelta(to, encodeDelta({ ...message, fresh }, peers));
      this.stats.deltasSent++;
      this.#countSent(message.channel, message.objects);
      // A push that is lost moves nothing: a map's pushed proof is believed only once the peer's
      // digest shows it (its belief of the clock would skip what the push carried).
      if (believed)
        this.#memory.noteSent(
          to,
          message.channel,
          message.push ? message.objects.filter((object) => object.kind !== 'map') : message.objects,
        );
    }
  }

  #countSent(channel: string, objects: readonly OutgoingObject[]): void {
    for (const object of objects) {
      this.stats.entriesSent += object.entries.length;
      if (object.entries.length > 0) this.#idle.active(channel);
    }
  }

  #clockSet(channel: ChannelState): ClockSet {
    return clockSetOf(digestSources(channel));
  }

  #peers(to: NodeId): MessagePeers {
    return { sender: this.#deps.self, receiver: to };
  }

  #flushPushes(): void {
    this.#pushScheduled = false;
    const pending = [...this.#pending];
    const except = new Map(this.#pushExcept);
    this.#pending.clear();
    this.#pushExcept.clear();
    if (!this.#running) return;
    for (const [name, objects] of pending) {
      const channel = this.#deps.channels.get(name);
      if (channel === undefined) continue;
      const targets = this.#pushTargets(channel, except.get(name) ?? undefined);
      if (targets.length === 0) continue;
      this.#lastPush.set(name, this.#deps.timers.monotonic());
      const chunker = new DeltaChunker(name, this.#deps.deltaBudget(), true);
      // Queued by kind and name: each object's entries are of its kind.
      for (const plan of objects.values()) chunker.add(plan as ObjectPlan);
      const messages = chunker.finish();
      for (const target of targets) {
        this.#sendDeltas(target, messages, channel);
        this.stats.pushesSent += messages.length;
      }
    }
  }

  #scheduleRound(delay: number): void {
    this.#cancelRound = this.#deps.timers.setTimeout(() => {
      this.#cancelRound = undefined;
      if (!this.#running) return;
      this.round();
      const interval = this.#deps.config.gossipInterval;
      this.#scheduleRound(interval * (0.75 + 0.5 * this.#deps.random.next()));
    }, delay);
  }
}

/** Each object of `channel` as a digest lists it: id, kind, name and clocks by writer. */
function digestSources(channel: ChannelState): DigestSource[] {
  return channel.objects().map(({ id, object }) => ({
    id,
    kind: object.kind,
    name: object.name,
    clocks: object.clocks(),
  }));
}

/** An empty last chunk: "nothing (more) for you", or "I do not know your digest's base". */
function emptyFinal(channel: string, unknownBase: boolean): OutgoingDelta {
  return { channel, push: false, final: true, fresh: false, unknownBase, objects: [] };
}

/** What we lack compared with a peer's whole digest: entries we can count, writers ahead of us. */
function whatWeLack(channel: ChannelState, digest: DigestMessage): Lacking {
  let entries = 0;
  let writers = 0;
  for (const object of digest.objects) {
    const lacking =
      channel.object(object.kind, object.name)?.lacking(object.clocks) ?? lackingAll(object.clocks);
    entries += lacking.entries;
    writers += lacking.writers;
  }
  return { entries, writers };
}

function lacksAnything(channel: ChannelState, digest: DigestMessage): boolean {
  const { entries, writers } = whatWeLack(channel, digest);
  return entries + writers > 0;
}

/**
 * What a peer whose digest is `digest` lacks, per object in the digest's scope. `asker`: the
 * plan answers that peer now (streams pace their resends of a split history per asker).
 */
/** `plan` without `writer`'s own entries (and for a map, its proofs and what they cover). */
function withoutWriter(plan: ObjectPlan, writer: NodeId): ObjectPlan {
  if (plan.kind === 'stream')
    return { ...plan, entries: plan.entries.filter((entry) => entry.author !== writer) };
  const kept: ObjectPlan = { kind: 'map', name: plan.name, proofs: [], entries: [], ghosts: [] };
  let entry = 0;
  let ghost = 0;
  for (const proof of plan.proofs) {
    const entries = proof.kind === 'cut' ? 0 : proof.entries;
    const ghosts = proof.kind === 'cut' ? 0 : proof.ghosts;
    if (proof.writer !== writer) {
      (kept.proofs as MapProof[]).push(proof);
      appendAll(kept.entries as MapEntry[], plan.entries.slice(entry, entry + entries));
      appendAll(kept.ghosts as MapGhost[], plan.ghosts.slice(ghost, ghost + ghosts));
    }
    entry += entries;
    ghost += ghosts;
  }
  return kept;
}

/** Two plans of one object queued in one turn, one after the other. */
function joinPlans(first: ObjectPlan, second: ObjectPlan): ObjectPlan {
  if (first.kind === 'stream' && second.kind === 'stream') {
    const entries = first.entries as StreamEntry[];
    appendAll(entries, second.entries);
    return { ...first, entries };
  }
  if (first.kind !== 'map' || second.kind !== 'map') return first;
  return {
    kind: 'map',
    name: first.name,
    proofs: [...first.proofs, ...second.proofs],
    entries: [...first.entries, ...second.entries],
    ghosts: [...first.ghosts, ...second.ghosts],
  };
}

function planFor(
  channel: ChannelState,
  digest: DigestMessage,
  limit: number,
  asker?: PlanAsker,
): ObjectPlan[] {
  const plans: ObjectPlan[] = [];
  const listed = new Set<string>();
  // The objects share the limit: what one planned is not left to the next.
  let room = limit;
  const add = (plan: ObjectPlan | undefined): void => {
    if (plan === undefined || !planHasContent(plan)) return;
    plans.push(plan);
    room = Math.max(0, room - plan.entries.length);
  };
  for (const object of digest.objects) {
    listed.add(objectId(object.kind, object.name));
    add(
      channel
        .object(object.kind, object.name)
        ?.plan(new Map(object.clocks), object.from, object.to, asker, room),
    );
  }
  for (const { id, object } of channel.objects()) {
    if (listed.has(id) || id < digest.scopeFrom || (digest.scopeTo !== null && id >= digest.scopeTo))
      continue;
    // In scope but not listed: the peer has none of it.
    add(object.plan(new Map(), '', null, undefined, room));
  }
  return plans;
}
