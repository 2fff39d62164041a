import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import type { NodeId } from '../ids/node-id.js';
import { bytesEqual } from '../storage/bytes.js';

/** One entry of an append-only stream: the `seq`-th entry its author appended. Immutable. */
export interface StreamEntry extends Timestamp {
  readonly author: NodeId;
  /** 1, 2, 3 … per author, without gaps. */
  readonly seq: number;
  readonly payload: Uint8Array;
}

/** What {@link EventLog.apply} did with an entry. */
export type ApplyOutcome =
  /** Now visible (and maybe released held entries after it). */
  | 'applied'
  /** Already held: ignored. */
  | 'duplicate'
  /** Ahead of a gap in its author's log: kept back until the gap fills. */
  | 'held'
  /** Same (author, seq) as a visible entry but different content: a faulty writer; ignored. */
  | 'conflict'
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

/** Options of an {@link EventLog}. */
export interface EventLogOptions {
  /** Most out-of-order entries held per author while waiting for a gap to fill. */
  readonly maxHeldPerAuthor?: number;
}

interface Registration {
  readonly materializer: Materializer<unknown>;
  state: unknown;
}

/**
 * An append-only, multi-author event log CRDT. Each author's entries form a gap-free sequence
 * 1, 2, 3 …; an entry is visible once all of its author's earlier entries are, so a reader never
 * sees a hole. The set of visible entries only grows, merges are commutative, associative and
 * idempotent, and {@link EventLog.getAll} returns one total order (hlc, author, seq) that is
 * identical on every replica holding the same entries.
 *
 * Materializers are updated incrementally when an entry lands at the end of the order (the
 * common case) and refolded from the start when a late entry lands in the middle, so their
 * state always equals a fold over `getAll()`.
 */
export class EventLog {
  readonly #ordered: StreamEntry[] = [];
  readonly #byAuthor = new Map<NodeId, StreamEntry[]>();
  readonly #held = new Map<NodeId, Map<number, StreamEntry>>();
  readonly #listeners = new Set<(entry: StreamEntry) => void>();
  readonly #views = new Set<Registration>();
  readonly #maxHeld: number;
  #heldCount = 0;

  constructor(options: EventLogOptions = {}) {
    this.#maxHeld = options.maxHeldPerAuthor ?? 10_000;
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
    return this.#ordered.slice();
  }

  /** The visible entry at `index` of the total order. */
  at(index: number): StreamEntry | undefined {
    return this.#ordered[index];
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

  /** Merges one entry (local or remote). */
  apply(entry: StreamEntry): ApplyOutcome {
    const log = this.#byAuthor.get(entry.author);
    const length = log?.length ?? 0;
    if (entry.seq <= length) {
      const existing = (log as StreamEntry[])[entry.seq - 1] as StreamEntry;
      return sameEntry(existing, entry) ? 'duplicate' : 'conflict';
    }
    if (entry.seq > length + 1) return this.#hold(entry);
    this.#reveal(entry);
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
  onEntry(listener: (entry: StreamEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Registers a materializer; its view stays equal to a fold over {@link EventLog.getAll}. */
  materialize<S>(materializer: Materializer<S>): MaterializedView<S> {
    const registration: Registration = {
      materializer: materializer as Materializer<unknown>,
      state: this.#ordered.reduce((state, entry) => materializer.fold(state, entry), materializer.initial()),
    };
    this.#views.add(registration);
    return {
      get state() {
        return registration.state as S;
      },
      close: () => this.#views.delete(registration),
    };
  }

  #hold(entry: StreamEntry): ApplyOutcome {
    let held = this.#held.get(entry.author);
    const existing = held?.get(entry.seq);
    if (existing !== undefined) return sameEntry(existing, entry) ? 'duplicate' : 'conflict';
    if ((held?.size ?? 0) >= this.#maxHeld) return 'overflow';
    if (held === undefined) {
      held = new Map();
      this.#held.set(entry.author, held);
    }
    held.set(entry.seq, entry);
    this.#heldCount++;
    return 'held';
  }

  #reveal(entry: StreamEntry): void {
    let log = this.#byAuthor.get(entry.author);
    if (log === undefined) {
      log = [];
      this.#byAuthor.set(entry.author, log);
    }
    log.push(entry);
    const index = insertionIndex(this.#ordered, entry);
    const atEnd = index === this.#ordered.length;
    if (atEnd) this.#ordered.push(entry);
    else this.#ordered.splice(index, 0, entry);
    for (const view of this.#views) {
      view.state = atEnd
        ? view.materializer.fold(view.state, entry)
        : this.#ordered.reduce(
            (state, each) => view.materializer.fold(state, each),
            view.materializer.initial(),
          );
    }
    for (const listener of this.#listeners) listener(entry);
  }
}

function insertionIndex(ordered: readonly StreamEntry[], entry: StreamEntry): number {
  let low = 0;
  let high = ordered.length;
  // Fast path: most entries arrive in order.
  if (high === 0 || compareStreamEntries(ordered[high - 1] as StreamEntry, entry) < 0) return high;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareStreamEntries(ordered[mid] as StreamEntry, entry) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function sameEntry(a: StreamEntry, b: StreamEntry): boolean {
  return a.wall === b.wall && a.counter === b.counter && bytesEqual(a.payload, b.payload);
}
