import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import type { NodeId } from '../ids/node-id.js';
import { nobleSha256, type Sha256 } from '../ports/sha256.js';
import { bytesEqual } from '../storage/bytes.js';
import {
  type ChainFingerprint,
  type ChainHash,
  chainStep,
  EMPTY_CHAIN,
  EMPTY_CHAIN_HASH,
  fingerprintOf,
} from './stream-chain.js';

/**
 * The author's Ed25519 signature over its stream up to one entry (the chain hash of entries
 * 1..seq, with channel, stream, author and seq; ADR 0054), and the key it verifies under.
 */
export interface EntryProof {
  readonly signature: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** One entry of an append-only stream: the `seq`-th entry its author appended. Immutable. */
export interface StreamEntry extends Timestamp {
  readonly author: NodeId;
  /** 1, 2, 3 … per author, without gaps. */
  readonly seq: number;
  readonly payload: Uint8Array;
  /**
   * The author's signature over its entries up to this one, on entries in sync messages only
   * (ADR 0054): entries a stream shows carry none, though every one is covered by a proof its
   * replica verified. Not part of the entry's content.
   */
  readonly proof?: EntryProof | undefined;
}

/** What {@link EventLog.apply} did with an entry. */
export type ApplyOutcome =
  /** Now visible (and maybe released held entries after it). */
  | 'applied'
  /** Already held: ignored. */
  | 'duplicate'
  /** Ahead of a gap in its author's log: kept back until the gap fills. */
  | 'held'
  /**
   * Same (author, seq) as an entry held here but other content (a faulty or forged writer), and
   * the held one comes first by {@link precedesInConflict}: the held one stays.
   */
  | 'conflict'
  /**
   * Same (author, seq) as an entry held here but other content, and this one comes first by
   * {@link precedesInConflict}: it took the held one's place. Every replica keeps the same one.
   */
  | 'replaced'
  /** Too many entries already held back for this author: dropped (anti-entropy will resend). */
  | 'overflow';

/** Folds entries into derived state (the Dart gossip library's materializers). */
export interface Materializer<S> {
  initial(): S;
  fold(state: S, entry: StreamEntry): S;
}

/** A registered materializer's live view. */
export interface MaterializedView<S> {
  /** The fold of every visible entry, in {@link EventLog.getAll} order. */
  readonly state: S;
  /** Stops updating this view. */
  close(): void;
}

/** Orders entries by (hlc, author, seq): the one order every converged replica shows. */
export function compareStreamEntries(a: StreamEntry, b: StreamEntry): number {
  const byTime = compareTimestamps(a, b);
  if (byTime !== 0) return byTime;
  if (a.author !== b.author) return a.author < b.author ? -1 : 1;
  return a.seq - b.seq;
}

/**
 * Which of two entries with the same (author, seq) and different content every replica keeps:
 * the earlier by hlc, then the smaller payload (bytewise, a prefix first). Any fixed rule makes
 * replicas agree; which entry is genuine only a signature can tell.
 */
export function precedesInConflict(a: StreamEntry, b: StreamEntry): boolean {
  const byTime = compareTimestamps(a, b);
  if (byTime !== 0) return byTime < 0;
  const length = Math.min(a.payload.length, b.payload.length);
  for (let i = 0; i < length; i++) {
    if (a.payload[i] !== b.payload[i]) return (a.payload[i] as number) < (b.payload[i] as number);
  }
  return a.payload.length < b.payload.length;
}

/** Seqs between two whole chain hashes an {@link EventLog} keeps per author. */
export const CHECKPOINT_INTERVAL = 1024;

/** Called when an entry becomes visible; `replaced` is the entry it displaced in a conflict. */
export type EntryListener = (entry: StreamEntry, replaced: StreamEntry | undefined) => void;

/** Options of an {@link EventLog}. */
export interface EventLogOptions {
  /** Most out-of-order entries held per author while waiting for a gap to fill. */
  readonly maxHeldPerAuthor?: number;
  /** The SHA-256 the authors' chains are hashed with (default: pure JS). */
  readonly sha256?: Sha256;
}

interface Registration {
  readonly materializer: Materializer<unknown>;
  state: unknown;
  /** The log's {@link EventLog} reorder count `state` was folded at: older means refold. */
  foldedAt: number;
}

/**
 * An append-only, multi-author event log CRDT. Each author's entries form a gap-free sequence
 * 1, 2, 3 …; an entry is visible once all of its author's earlier entries are, so a reader never
 * sees a hole. The set of visible entries only grows, merges are commutative, associative and
 * idempotent, and {@link EventLog.getAll} returns one total order (hlc, author, seq) that is
 * identical on every replica holding the same entries. Two entries with one (author, seq) and
 * different content (a faulty or forged writer) resolve the same way everywhere: the one that
 * {@link precedesInConflict} stays, whichever arrived first. Per author the log keeps a
 * {@link ChainFingerprint} of every prefix, so digests can reveal such a split.
 *
 * Materializers are updated incrementally when an entry lands at the end of the order (the
 * common case) and refolded from the start, once, when read after late entries landed in the
 * middle, so their state always equals a fold over `getAll()`. Likewise the order itself is
 * appended to and sorted once when next read: a stream loads author by author, and a peer
 * sends a delta author by author, so inserting each late entry in place was quadratic (200k
 * entries of two authors took 8 s).
 */
export class EventLog {
  /** Every visible entry; in {@link compareStreamEntries} order unless `#reorders` moved on. */
  readonly #ordered: StreamEntry[] = [];
  /** Times an entry landed out of order or was replaced: `#ordered` is sorted at `#sortedAt`. */
  #reorders = 0;
  #sortedAt = 0;
  readonly #byAuthor = new Map<NodeId, StreamEntry[]>();
  readonly #held = new Map<NodeId, Map<number, StreamEntry>>();
  /** Per author, the fingerprint of each prefix 1..seq, flattened: lanes at 2(seq-1), 2(seq-1)+1. */
  readonly #chains = new Map<NodeId, number[]>();
  /** Per author, the whole chain hash of its visible entries: what a proof signs and a run extends. */
  readonly #heads = new Map<NodeId, ChainHash>();
  /**
   * Per author, the whole chain hash at every {@link CHECKPOINT_INTERVAL}-th seq: the hash at
   * any seq is then at most that many steps away, not a walk from the first entry (a peer's
   * entry at a late seq would otherwise cost a hash of the whole history to judge).
   */
  readonly #checkpoints = new Map<NodeId, ChainHash[]>();
  readonly #listeners = new Set<EntryListener>();
  readonly #views = new Set<Registration>();
  readonly #maxHeld: number;
  readonly #sha256: Sha256;
  #heldCount = 0;

  constructor(options: EventLogOptions = {}) {
    this.#maxHeld = options.maxHeldPerAuthor ?? 10_000;
    this.#sha256 = options.sha256 ?? nobleSha256;
  }

  /** Number of visible entries. */
  get size(): number {
    return this.#ordered.length;
  }

  /** Number of entries held back behind a gap. */
  get held(): number {
    return this.#heldCount;
  }

  /** Visible entries in the total order (hlc, author, seq). The array is a snapshot. */
  getAll(): StreamEntry[] {
    return this.#order().slice();
  }

  /** The visible entry at `index` of the total order. */
  at(index: number): StreamEntry | undefined {
    return this.#order()[index];
  }

  /** Highest contiguous seq per author: what this replica has. */
  versionVector(): Map<NodeId, number> {
    const vector = new Map<NodeId, number>();
    for (const [author, log] of this.#byAuthor) vector.set(author, log.length);
    return vector;
  }

  /** Highest contiguous seq of `author` (0 when none). */
  seqOf(author: NodeId): number {
    return this.#byAuthor.get(author)?.length ?? 0;
  }

  /** The fingerprint of `author`'s entries 1..`seq` (`seq` at most {@link EventLog.seqOf}). */
  chainAt(author: NodeId, seq: number): ChainFingerprint {
    if (seq === 0) return EMPTY_CHAIN;
    const chain = this.#chains.get(author);
    const at = 2 * (seq - 1);
    if (chain === undefined || at >= chain.length) throw new RangeError(`no entry ${seq} of ${author}`);
    return [chain[at] as number, chain[at + 1] as number];
  }

  /** The chain hash of `author`'s visible entries (1..{@link EventLog.seqOf}). */
  chainHash(author: NodeId): ChainHash {
    return this.#heads.get(author) ?? EMPTY_CHAIN_HASH;
  }

  /**
   * The whole chain hash of `author`'s entries 1..`seq` (at most {@link EventLog.seqOf}): from the
   * checkpoint below it, in fewer than {@link CHECKPOINT_INTERVAL} steps.
   */
  chainHashAt(author: NodeId, seq: number): ChainHash {
    const log = this.#byAuthor.get(author) ?? [];
    if (seq > log.length) throw new RangeError(`no entry ${seq} of ${author}`);
    const below = Math.floor(seq / CHECKPOINT_INTERVAL);
    let chain = below === 0 ? EMPTY_CHAIN_HASH : (this.#checkpoints.get(author)?.[below - 1] as ChainHash);
    for (let at = below * CHECKPOINT_INTERVAL; at < seq; at++)
      chain = chainStep(chain, log[at] as StreamEntry, this.#sha256);
    return chain;
  }

  /**
   * Puts `entries` (seqs `from`, `from` + 1, …) in place of `author`'s entries from `from` on:
   * those held there are replaced, the rest appended, so the author's entries stay gap-free.
   * Only an author rewriting its own history does this (a restored copy taking its entries as
   * its peers hold them, ADR 0057); `entries` must reach at least as far as the log does.
   * Listeners hear each entry with the one it replaced; views and the order are redone when next
   * read.
   */
  rewrite(author: NodeId, from: number, entries: readonly StreamEntry[]): void {
    const log = this.#byAuthor.get(author) ?? [];
    if (from < 1 || from > log.length + 1 || from + entries.length - 1 < log.length)
      throw new RangeError(`a rewrite of ${author} from ${from} must cover its entries to ${log.length}`);
    const replaced = log.slice(from - 1);
    const gone = new Set(replaced);
    // In place, one pass: the order keeps every other entry where it was.
    let kept = 0;
    for (const entry of this.#ordered) if (!gone.has(entry)) this.#ordered[kept++] = entry;
    this.#ordered.length = kept;
    const lanes = this.#chains.get(author) ?? [];
    let chain = this.chainHashAt(author, from - 1);
    log.length = from - 1;
    lanes.length = 2 * (from - 1);
    this.#byAuthor.set(author, log);
    this.#chains.set(author, lanes);
    const checkpoints = this.#checkpointsOf(author);
    checkpoints.length = Math.floor((from - 1) / CHECKPOINT_INTERVAL);
    for (const entry of entries) {
      chain = chainStep(chain, entry, this.#sha256);
      log.push(entry);
      const [high, low] = fingerprintOf(chain);
      lanes.push(high, low);
      if (entry.seq % CHECKPOINT_INTERVAL === 0) checkpoints.push(chain);
      this.#ordered.push(entry);
    }
    this.#heads.set(author, chain);
    this.#reorders++;
    entries.forEach((entry, index) => {
      for (const listener of this.#listeners) listener(entry, replaced[index]);
    });
  }

  /** `author`'s visible entry `seq`, if it has one. */
  entryAt(author: NodeId, seq: number): StreamEntry | undefined {
    return seq < 1 ? undefined : this.#byAuthor.get(author)?.[seq - 1];
  }

  /** `author`'s visible entries with seq > `after`, in seq order. */
  entriesAfter(author: NodeId, after: number): readonly StreamEntry[] {
    return this.#byAuthor.get(author)?.slice(after) ?? [];
  }

  /** Authors with at least one visible entry. */
  authors(): IterableIterator<NodeId> {
    return this.#byAuthor.keys();
  }

  /** The next entry `author` would append locally. */
  nextEntry(author: NodeId, stamp: Timestamp, payload: Uint8Array): StreamEntry {
    return { author, seq: this.seqOf(author) + 1, wall: stamp.wall, counter: stamp.counter, payload };
  }

  /**
   * Merges one entry (local or remote). `chain`: the author's chain hash through this entry,
   * when the caller computed it already (checking a proof over a run): used if the entry is
   * shown at once, so each entry is hashed once.
   */
  apply(entry: StreamEntry, chain?: ChainHash): ApplyOutcome {
    const log = this.#byAuthor.get(entry.author);
    const length = log?.length ?? 0;
    if (entry.seq <= length) {
      const existing = (log as StreamEntry[])[entry.seq - 1] as StreamEntry;
      if (sameEntry(existing, entry)) return 'duplicate';
      if (!precedesInConflict(entry, existing)) return 'conflict';
      this.#replace(log as StreamEntry[], existing, entry);
      return 'replaced';
    }
    if (entry.seq > length + 1) return this.#hold(entry);
    this.#reveal(entry, chain);
    // Release entries that were waiting on this one.
    const held = this.#held.get(entry.author);
    if (held !== undefined) {
      let next = held.get(entry.seq + 1);
      while (next !== undefined) {
        held.delete(next.seq);
        this.#heldCount--;
        this.#reveal(next);
        next = held.get(next.seq + 1);
      }
      if (held.size === 0) this.#held.delete(entry.author);
    }
    return 'applied';
  }

  /** Calls `listener` for each entry as it becomes visible. Returns an unsubscribe function. */
  onEntry(listener: EntryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Registers a materializer; its view stays equal to a fold over {@link EventLog.getAll}. */
  materialize<S>(materializer: Materializer<S>): MaterializedView<S> {
    const registration: Registration = {
      materializer: materializer as Materializer<unknown>,
      state: undefined,
      foldedAt: -1,
    };
    this.#views.add(registration);
    const log = this;
    return {
      get state() {
        return log.#fresh(registration) as S;
      },
      close: () => this.#views.delete(registration),
    };
  }

  /** The view's state, refolded first if entries were reordered since it was folded. */
  #fresh(view: Registration): unknown {
    if (view.foldedAt !== this.#reorders) {
      view.state = this.#order().reduce(
        (state, each) => view.materializer.fold(state, each),
        view.materializer.initial(),
      );
      view.foldedAt = this.#reorders;
    }
    return view.state;
  }

  /** `#ordered`, sorted first if an entry landed out of order since it last was. */
  #order(): StreamEntry[] {
    if (this.#sortedAt !== this.#reorders) {
      // TimSort: linear on a few interleaved runs (a load, author by author), n log n at worst.
      this.#ordered.sort(compareStreamEntries);
      this.#sortedAt = this.#reorders;
    }
    return this.#ordered;
  }

  #hold(entry: StreamEntry): ApplyOutcome {
    let held = this.#held.get(entry.author);
    const existing = held?.get(entry.seq);
    if (existing !== undefined) {
      if (sameEntry(existing, entry)) return 'duplicate';
      if (!precedesInConflict(entry, existing)) return 'conflict';
      held?.set(entry.seq, entry);
      return 'replaced';
    }
    if ((held?.size ?? 0) >= this.#maxHeld) return 'overflow';
    if (held === undefined) {
      held = new Map();
      this.#held.set(entry.author, held);
    }
    held.set(entry.seq, entry);
    this.#heldCount++;
    return 'held';
  }

  #reveal(entry: StreamEntry, chain?: ChainHash): void {
    let log = this.#byAuthor.get(entry.author);
    if (log === undefined) {
      log = [];
      this.#byAuthor.set(entry.author, log);
    }
    log.push(entry);
    let lanes = this.#chains.get(entry.author);
    if (lanes === undefined) {
      lanes = [];
      this.#chains.set(entry.author, lanes);
    }
    const head = chain ?? chainStep(this.chainHash(entry.author), entry, this.#sha256);
    this.#heads.set(entry.author, head);
    if (entry.seq % CHECKPOINT_INTERVAL === 0) this.#checkpointsOf(entry.author).push(head);
    const [high, low] = fingerprintOf(head);
    lanes.push(high, low);
    const last = this.#ordered[this.#ordered.length - 1];
    const inOrder = last === undefined || compareStreamEntries(last, entry) < 0;
    // Views folded up to date take an in-order entry incrementally; otherwise they refold on read.
    const reorders = this.#reorders;
    if (!inOrder) this.#reorders++;
    this.#ordered.push(entry);
    if (inOrder) {
      for (const view of this.#views) {
        if (view.foldedAt === reorders) view.state = view.materializer.fold(view.state, entry);
      }
    }
    for (const listener of this.#listeners) listener(entry, undefined);
  }

  /** Puts `entry` in `existing`'s place: order, fingerprints from its seq on, views (when read). */
  #replace(log: StreamEntry[], existing: StreamEntry, entry: StreamEntry): void {
    log[entry.seq - 1] = entry;
    // Rare (a forged or faulty writer): a scan, and the order and views redone when next read.
    this.#ordered[this.#ordered.indexOf(existing)] = entry;
    this.#reorders++;
    // Only fingerprints are kept per seq, so the whole chain is hashed again from the start.
    const chain = this.#chains.get(entry.author) as number[];
    let previous = EMPTY_CHAIN_HASH;
    const checkpoints = this.#checkpointsOf(entry.author);
    for (let seq = 1; seq <= log.length; seq++) {
      previous = chainStep(previous, log[seq - 1] as StreamEntry, this.#sha256);
      if (seq < entry.seq) continue;
      const [high, low] = fingerprintOf(previous);
      chain[2 * (seq - 1)] = high;
      chain[2 * (seq - 1) + 1] = low;
      if (seq % CHECKPOINT_INTERVAL === 0) checkpoints[seq / CHECKPOINT_INTERVAL - 1] = previous;
    }
    this.#heads.set(entry.author, previous);
    for (const listener of this.#listeners) listener(entry, existing);
  }

  #checkpointsOf(author: NodeId): ChainHash[] {
    let checkpoints = this.#checkpoints.get(author);
    if (checkpoints === undefined) {
      checkpoints = [];
      this.#checkpoints.set(author, checkpoints);
    }
    return checkpoints;
  }
}

/** True when two entries have the same content (stamp and payload; a proof is not content). */
export function sameEntry(a: StreamEntry, b: StreamEntry): boolean {
  return a.wall === b.wall && a.counter === b.counter && bytesEqual(a.payload, b.payload);
}
