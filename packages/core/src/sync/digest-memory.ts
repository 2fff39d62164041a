import { compareTimestamps, ZERO_TIMESTAMP } from '../clock/timestamp.js';
import type { NodeId } from '../ids/node-id.js';
import { encodeDigest } from '../protocol/sync-codec.js';
import type {
  DigestMessage,
  DigestSummary,
  MapClock,
  MapProof,
  ObjectDigest,
  StreamClock,
  StreamDelta,
  SummaryAnswer,
} from '../protocol/sync-messages.js';
import { bytesEqual } from '../storage/bytes.js';
import {
  addDigestObjects,
  type ClockSet,
  clockChanges,
  copyClockSet,
  digestObjectId,
  hashClockSet,
  objectClocks,
  toDigestObjects,
} from './clock-set.js';
import { applyAnswer, bucketChanges, resolveSummary, summarize } from './clock-summary.js';
import { buildDigests, type DigestSource } from './digest-builder.js';

interface Received {
  at: number;
  clocks: ClockSet;
  /** True once the set holds a whole digest (every chunk of a full one, or a rebuilt one). */
  complete: boolean;
  /**
   * While a chunked full digest arrives: where the chunks received without a gap from the first
   * end (chunks are sent in order; one lost or reordered leaves the set incomplete).
   */
  reach?: Reach;
  /** {@link hashClockSet} of `clocks`, once computed (only complete sets are ever hashed). */
  hash?: Uint8Array;
}

/**
 * The end of a chunk: its scope's upper bound and, when an object was split there by writer
 * ranges (`scope` is that object's id plus NUL), the writer the next chunk's part starts at.
 */
interface Reach {
  readonly scope: string;
  readonly writer: string | null;
}

/** One clock set we sent a peer. */
interface SentSet {
  readonly clocks: ClockSet;
  readonly hash: Uint8Array;
  /** True once the peer answered after it was sent: only such a set is named as a base. */
  delivered: boolean;
}

/**
 * The last few sets we sent a peer, newest first. Older ones stay: if the newest digest was
 * lost, the peer still holds an older one and may name it as the base of its own digest.
 */
interface Sent {
  readonly reply: boolean;
  readonly sets: readonly SentSet[];
}

/** How many sets sent to each peer are kept. */
const SENT_SETS = 3;

/** What {@link DigestMemory.noteSent} needs of a sent object: map proofs, stream entries. */
export type SentObject =
  | { readonly kind: 'map'; readonly name: string; readonly proofs: readonly MapProof[] }
  | StreamDelta;

/**
 * A clock set both sides of a peer relation hold, worth keeping across a restart: one we sent
 * the peer and it answered (`received` false), or the last whole one it sent us (true).
 */
export interface SharedBase {
  readonly channel: string;
  readonly peer: NodeId;
  readonly received: boolean;
  readonly clocks: ClockSet;
}

/** A digest as the engine processes it: whole, whatever form it travelled in. */
export interface ResolvedDigest {
  /** The message, rebuilt whole when it was relative; one chunk of a long digest stays a chunk. */
  readonly digest: DigestMessage;
  /**
   * Everything the sender holds, when known after this message: the digest itself when it
   * came whole, all chunks when this one completed a gap-free run; else undefined.
   */
  readonly whole: DigestMessage | undefined;
}

/**
 * What each peer last told us of each channel, and what we last told it: the peer memory that
 * makes a digest cost what changed. A digest names a whole clock set both sides hold (by an
 * 8-byte hash) and carries only the clocks that differ from it; the receiver rebuilds the whole
 * digest from the set it kept. The base is either the last set the sender sent, or the last set
 * it received from the receiver, whichever differs less from its clocks now: after a sync both
 * replicas hold about what the more advanced one said, so either side's next digest is small.
 * Either side forgetting (a restart, a lost chunk) only costs one full digest: the receiver
 * answers `unknownBase` and the sender starts over.
 *
 * It also keeps what we *believe* each peer holds: its last whole digest, advanced by the claims
 * we sent it since. A node opening a round attaches the entries the peer lacks by that belief,
 * so a reconnect after a few changes costs one round trip. The belief is only an optimisation:
 * claims are checked by their receiver, and the digest exchange still repairs what it misses.
 *
 * Memory is bounded: at most `maxPeers` peers are remembered per channel, oldest first out.
 */
export class DigestMemory {
  readonly #received = new Map<string, Map<NodeId, Received>>();
  readonly #sent = new Map<string, Map<NodeId, Sent>>();
  readonly #believed = new Map<string, Map<NodeId, ClockSet>>();
  readonly #maxPeers: number;
  #version = 0;

  constructor(maxPeers: number) {
    this.#maxPeers = maxPeers;
  }

  /** Changes whenever what is remembered does (for saving only what changed). */
  get version(): number {
    return this.#version;
  }

  /** Every base shared with a peer, for keeping across a restart. */
  sharedBases(): SharedBase[] {
    const bases: SharedBase[] = [];
    for (const [channel, byPeer] of this.#sent) {
      for (const [peer, sent] of byPeer)
        for (const set of sent.sets)
          if (set.delivered) bases.push({ channel, peer, received: false, clocks: set.clocks });
    }
    for (const [channel, byPeer] of this.#received) {
      for (const [peer, received] of byPeer)
        if (received.complete) bases.push({ channel, peer, received: true, clocks: received.clocks });
    }
    return bases;
  }

  /**
   * Restores bases kept by {@link DigestMemory.sharedBases} (before any traffic): the first
   * digests after a restart then name a set the peer still holds and carry what changed since,
   * as in a live reconnect. A base the peer has forgotten costs one `unknownBase` round.
   */
  restoreBases(bases: readonly SharedBase[]): void {
    for (const base of bases) {
      if (base.received) {
        this.#remember(peerMap(this.#received, base.channel), base.peer, {
          at: Number.NEGATIVE_INFINITY,
          clocks: base.clocks,
          complete: true,
        });
        continue;
      }
      const byPeer = peerMap(this.#sent, base.channel);
      const sets = byPeer.get(base.peer)?.sets ?? [];
      const set = { clocks: base.clocks, hash: hashClockSet(base.clocks), delivered: true };
      this.#remember(byPeer, base.peer, { reply: false, sets: [...sets, set].slice(0, SENT_SETS) });
    }
  }

  /**
   * Folds an incoming digest into memory. Returns the digest to act on (rebuilt whole when it
   * was relative to a base), or undefined when its base is unknown here.
   */
  receive(from: NodeId, digest: DigestMessage, now: number): ResolvedDigest | undefined {
    const byPeer = peerMap(this.#received, digest.channel);
    const known = byPeer.get(from);
    if (digest.answer !== undefined) {
      // An answer to our summary: our summarized set, with the sender's clocks where it differs.
      const base = this.#baseNamed(from, digest.channel, digest.answer.base);
      if (base === undefined) return undefined;
      const clocks = applyAnswer(base, digest.answer.objects);
      // A fingerprint that matched by chance (or a lying answer) shows here, never later.
      if (!bytesEqual(hashClockSet(clocks), digest.answer.hash)) return undefined;
      return this.#rebuilt(from, digest, clocks, digest.answer.hash, now);
    }
    if (digest.base !== undefined) {
      const base = this.#baseNamed(from, digest.channel, digest.base);
      if (base === undefined) return undefined;
      const clocks = copyClockSet(base);
      addDigestObjects(clocks, digest.objects);
      this.#remember(byPeer, from, { at: now, clocks, complete: true });
      this.#remember(peerMap(this.#believed, digest.channel), from, copyClockSet(clocks));
      const { base: _base, ...rest } = digest;
      const rebuilt = { ...rest, scopeFrom: '', scopeTo: null, objects: toDigestObjects(clocks) };
      return { digest: rebuilt, whole: rebuilt };
    }
    // A full digest, maybe one chunk of several: chunks after the first add to the first's set.
    const first = digest.scopeFrom === '';
    const clocks: ClockSet = first || known === undefined ? new Map() : known.clocks;
    addDigestObjects(clocks, digest.objects);
    const contiguous = first || (known?.reach !== undefined && continues(known.reach, digest));
    const complete = contiguous && digest.scopeTo === null;
    this.#remember(byPeer, from, {
      at: now,
      clocks,
      complete,
      ...(contiguous && digest.scopeTo !== null ? { reach: reachOf(digest, digest.scopeTo) } : {}),
    });
    if (complete) this.#remember(peerMap(this.#believed, digest.channel), from, copyClockSet(clocks));
    if (!complete) return { digest, whole: undefined };
    return {
      digest,
      whole: first
        ? digest
        : { ...wholeDigest(digest.channel, clocks), reply: digest.reply, fresh: digest.fresh },
    };
  }

  /**
   * Folds a peer's summary digest (`digest`, whose `summary` is given) into memory, given our
   * own clocks now (`own`). When every
   * bucket matches ours, the peer's set is ours for those objects: returns it as a whole digest
   * (checked against the summary's hash; undefined when it differs, so the peer sends a full
   * one). Otherwise returns the answer that lets the peer rebuild `own`, and remembers `own` as
   * sent to it, so the peer's next digest may name it as its base.
   */
  receiveSummary(
    from: NodeId,
    digest: DigestMessage,
    summary: DigestSummary,
    own: ClockSet,
    now: number,
  ): ResolvedDigest | { readonly answer: SummaryAnswer } | undefined {
    const resolution = resolveSummary(own, summary.objects);
    if ('whole' in resolution) {
      if (!bytesEqual(hashClockSet(resolution.whole), summary.hash)) return undefined;
      return this.#rebuilt(from, digest, resolution.whole, summary.hash, now);
    }
    const hash = hashClockSet(own);
    this.#recordSent(from, digest.channel, own, hash, false);
    return { answer: { base: summary.hash, hash, objects: resolution.answer } };
  }

  /** Remembers `clocks` as the whole set `from` holds now, and returns it as its digest. */
  #rebuilt(
    from: NodeId,
    digest: DigestMessage,
    clocks: ClockSet,
    hash: Uint8Array,
    now: number,
  ): ResolvedDigest {
    this.#remember(peerMap(this.#received, digest.channel), from, { at: now, clocks, complete: true, hash });
    this.#remember(peerMap(this.#believed, digest.channel), from, copyClockSet(clocks));
    const rebuilt = { ...wholeDigest(digest.channel, clocks), reply: digest.reply, fresh: digest.fresh };
    return { digest: rebuilt, whole: rebuilt };
  }

  /**
   * What we believe `peer` holds of `channel`, as a whole digest (for planning what to attach
   * to our next digest), or undefined when it never sent us a whole one.
   */
  believed(peer: NodeId, channel: string): DigestMessage | undefined {
    const clocks = this.#believed.get(channel)?.get(peer);
    if (clocks === undefined) return undefined;
    return wholeDigest(channel, clocks);
  }

  /**
   * Advances our belief of what `peer` holds by the entries we just sent it: each map claim as
   * its receiver applies it (`c ≥ from ⇒ c := max(c, to)`), each stream entry that extends the
   * author's contiguous run. Optimistic (the message may be lost); the peer's next digest
   * replaces the belief with what it really holds.
   */
  noteSent(peer: NodeId, channel: string, objects: readonly SentObject[]): void {
    const clocks = this.#believed.get(channel)?.get(peer);
    if (clocks === undefined) return;
    for (const object of objects) {
      const writerClocks = objectClocks(clocks, object);
      if (object.kind === 'map') {
        for (const proof of object.proofs) {
          // A cut: the peer's clock moves to its version once every part is in. Usually they
          // all went in this answer; when its limit cut them short, the belief runs ahead until
          // the peer's next digest (it only decides what to attach).
          if (proof.kind === 'slice') continue;
          const clock = (writerClocks.get(proof.writer) as MapClock | undefined) ?? ZERO_TIMESTAMP;
          const to = proof.signed.version;
          if (proof.kind === 'whole' && compareTimestamps(clock, proof.from) < 0) continue;
          if (compareTimestamps(to, clock) <= 0) continue;
          writerClocks.set(proof.writer, { wall: to.wall, counter: to.counter });
        }
      } else {
        for (const entry of object.entries) {
          const seq = (writerClocks.get(entry.author) as StreamClock | undefined)?.seq ?? 0;
          // The fingerprint this makes is not worked out: no conflict is looked for against it.
          if (entry.seq === seq + 1) writerClocks.set(entry.author, { seq: entry.seq });
        }
      }
    }
  }

  /** Each peer's last whole digest of `channel`, with when it came. */
  *received(channel: string): IterableIterator<[NodeId, { at: number; digest: DigestMessage }]> {
    for (const [peer, received] of this.#received.get(channel) ?? []) {
      // A base restored from before a restart is no digest this peer sent lately.
      if (received.complete && received.at !== Number.NEGATIVE_INFINITY)
        yield [peer, { at: received.at, digest: wholeDigest(channel, received.clocks) }];
    }
  }

  /**
   * The digest messages to send `to`: relative to a set both hold when that fits one message
   * (as the clocks that moved, else as the buckets that differ, ADR 0047); else, when we share
   * no set with `to` (a first contact, or it lost its memory), a round's digest (`summarize`,
   * not a reply) whose full form would take several messages goes as a summary in one; else
   * full and chunked. Remembers what was sent.
   */
  outgoing(
    to: NodeId,
    channel: string,
    sources: readonly DigestSource[],
    options: { reply: boolean; fresh: boolean; budget: number; summarize?: boolean },
  ): DigestMessage[] {
    const current = clockSetOf(sources);
    const base = this.#closestBase(to, channel, current);
    const hash = hashClockSet(current);
    this.#recordSent(to, channel, current, hash, options.reply);
    if (base !== undefined) {
      const changes = base.changes;
      const relative: DigestMessage = {
        type: 'digest',
        channel,
        reply: options.reply,
        fresh: options.fresh,
        scopeFrom: '',
        scopeTo: null,
        base: base.hash,
        objects: changes,
      };
      const [single] = buildDigests(
        channel,
        changes.map(asSource),
        options.reply,
        options.budget,
        options.fresh,
      );
      if (single !== undefined && single.scopeTo === null) return [relative];
    }
    const full = buildDigests(channel, sources, options.reply, options.budget, options.fresh);
    if (full.length === 1) return full;
    const { reply, fresh } = options;
    const shared = this.#sharedSet(to, channel);
    if (shared !== undefined) {
      // A writer of the shared set is gone from ours (a reset, or the peer counted one we never
      // had): say which buckets differ from that set instead of listing every clock.
      const answer = { base: shared.hash, hash, objects: bucketChanges(current, shared.clocks) };
      const bucketed: DigestMessage = { ...wholeDigest(channel, new Map()), reply, fresh, answer };
      if (encodeDigest(bucketed, undefined).length <= options.budget) return [bucketed];
      // Too many clocks moved since a set we share for a summary to help: its answer would
      // list them all.
      return full;
    }
    if (options.summarize !== true || reply) return full;
    const objects = summarize(channel, current, options.budget);
    if (objects === undefined) return full;
    return [{ ...wholeDigest(channel, new Map()), reply, fresh, summary: { hash, objects } }];
  }

  /** A whole set `peer` holds for certain: the last it sent us, else the newest it answered. */
  #sharedSet(peer: NodeId, channel: string): { clocks: ClockSet; hash: Uint8Array } | undefined {
    const received = this.#received.get(channel)?.get(peer);
    if (received?.complete === true) return { clocks: received.clocks, hash: receivedHash(received) };
    return this.#sent
      .get(channel)
      ?.get(peer)
      ?.sets.find((set) => set.delivered);
  }

  /** Remembers `current` (hashed `hash`) as the newest set sent to `to`. */
  #recordSent(to: NodeId, channel: string, current: ClockSet, hash: Uint8Array, reply: boolean): void {
    const byPeer = peerMap(this.#sent, channel);
    const earlier = byPeer.get(to)?.sets ?? [];
    const same = earlier.find((set) => bytesEqual(set.hash, hash));
    const others = earlier.filter((set) => set !== same);
    this.#remember(byPeer, to, {
      reply,
      sets: [{ clocks: current, hash, delivered: same?.delivered ?? false }, ...others].slice(0, SENT_SETS),
    });
  }

  /**
   * Notes that `peer` answered a digest of ours for `channel` (its final chunk arrived): the
   * newest set we sent it reached it, so it may serve as a base.
   */
  delivered(peer: NodeId, channel: string): void {
    const newest = this.#sent.get(channel)?.get(peer)?.sets[0];
    if (newest !== undefined && !newest.delivered) {
      newest.delivered = true;
      this.#version++;
    }
  }

  /**
   * Of the sets `peer` is known to hold (those we sent it that it answered, the last it sent
   * us), the one from which `current` differs in fewer clocks, with those differences.
   */
  #closestBase(
    peer: NodeId,
    channel: string,
    current: ClockSet,
  ): { hash: Uint8Array; changes: ObjectDigest[] } | undefined {
    let best: { hash: Uint8Array; changes: ObjectDigest[] } | undefined;
    let bestCount = Number.POSITIVE_INFINITY;
    const consider = (clocks: ClockSet, hash: () => Uint8Array) => {
      const changes = clockChanges(current, clocks);
      if (changes === undefined) return;
      const count = changes.reduce((sum, object) => sum + object.clocks.length + 1, 0);
      if (count < bestCount) {
        best = { hash: hash(), changes };
        bestCount = count;
      }
    };
    for (const set of this.#sent.get(channel)?.get(peer)?.sets ?? [])
      if (set.delivered) consider(set.clocks, () => set.hash);
    const received = this.#received.get(channel)?.get(peer);
    if (received?.complete === true) consider(received.clocks, () => receivedHash(received));
    return best;
  }

  /** The set, sent to or received from `peer`, whose hash is `hash`. */
  #baseNamed(peer: NodeId, channel: string, hash: Uint8Array): ClockSet | undefined {
    const received = this.#received.get(channel)?.get(peer);
    if (received?.complete === true && bytesEqual(receivedHash(received), hash)) return received.clocks;
    return this.#sent
      .get(channel)
      ?.get(peer)
      ?.sets.find((set) => bytesEqual(set.hash, hash))?.clocks;
  }

  /**
   * Forgets every base shared with `to` for `channel` (it did not know the one we named, so it
   * lost its memory); returns whether the digest it refused was a reply.
   */
  forgetBases(to: NodeId, channel: string): { reply: boolean } | undefined {
    const byPeer = this.#sent.get(channel);
    const sent = byPeer?.get(to);
    byPeer?.delete(to);
    this.#received.get(channel)?.delete(to);
    return sent === undefined ? undefined : { reply: sent.reply };
  }

  #remember<T>(byPeer: Map<NodeId, T>, peer: NodeId, value: T): void {
    this.#version++;
    byPeer.delete(peer);
    byPeer.set(peer, value);
    if (byPeer.size > this.#maxPeers) byPeer.delete(byPeer.keys().next().value as NodeId);
  }
}

/**
 * True when chunk `digest` starts exactly where the previous one ended: at its scope bound, or,
 * for an object split across the two (the bound is its id plus NUL), at the same object and
 * the writer its previous part stopped before.
 */
function continues(reach: Reach, digest: DigestMessage): boolean {
  if (reach.writer === null) return digest.scopeFrom === reach.scope;
  if (`${digest.scopeFrom}\u0000` !== reach.scope) return false;
  const part = digest.objects.find((object) => digestObjectId(object) === digest.scopeFrom);
  return part?.from === reach.writer;
}

function reachOf(digest: DigestMessage, scopeTo: string): Reach {
  const split = digest.objects.find((object) => `${digestObjectId(object)}\u0000` === scopeTo);
  return { scope: scopeTo, writer: split?.to ?? null };
}

function receivedHash(received: Received): Uint8Array {
  received.hash ??= hashClockSet(received.clocks);
  return received.hash;
}

function wholeDigest(channel: string, clocks: ClockSet): DigestMessage {
  return {
    type: 'digest',
    channel,
    reply: false,
    fresh: false,
    scopeFrom: '',
    scopeTo: null,
    objects: toDigestObjects(clocks),
  };
}

function peerMap<T>(maps: Map<string, Map<NodeId, T>>, channel: string): Map<NodeId, T> {
  let byPeer = maps.get(channel);
  if (byPeer === undefined) {
    byPeer = new Map();
    maps.set(channel, byPeer);
  }
  return byPeer;
}

/** The clock set of a channel's digest sources. */
export function clockSetOf(sources: readonly DigestSource[]): ClockSet {
  const set: ClockSet = new Map();
  addDigestObjects(
    set,
    sources.map((source) => ({
      kind: source.kind,
      name: source.name,
      from: '',
      to: null,
      clocks: source.clocks,
    })),
  );
  return set;
}

function asSource(object: DigestMessage['objects'][number]): DigestSource {
  return {
    id: digestObjectId(object),
    kind: object.kind,
    name: object.name,
    clocks: object.clocks,
  };
}
