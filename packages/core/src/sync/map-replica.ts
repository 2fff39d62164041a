import { compareTimestamps, type Timestamp, ZERO_TIMESTAMP } from '../clock/timestamp.js';
import { LwwMap, type MapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import type { MapClock, RangeClaim } from '../protocol/sync-messages.js';
import { appendAll } from './append-all.js';
import { BeyondEntries } from './beyond-entries.js';
import { mayHoldUnseen, summarizeHeldBeyond, unmatchedSpan } from './held-beyond.js';
import type { StoredEntries } from './stored-entries.js';
import type { Lacking } from './synced-object.js';
import { type EntryIndex, WriterIndex } from './writer-index.js';

/** What one peer should receive for one map: entries it may lack and the ranges they complete. */
export interface MapDeltaPlan {
  /** Per writer, in writer order: the range this replica can vouch for, if the peer is behind it. */
  readonly claims: RangeClaim[];
  /** Entries newer than the peer's clocks, sorted by writer, then version. */
  readonly entries: MapEntry[];
}

/**
 * An LWW map plus what this replica knows it has: per writer, a *synced clock* `c[w]` meaning
 * "I hold every entry `w` wrote up to `c[w]`, or a newer entry for the same key". A digest is
 * these clocks; the answer to a digest is every entry newer than the asker's clock for its
 * writer, with claims that let the asker advance its clocks (Scuttlebutt-style reconciliation,
 * van Renesse et al. 2008, adapted to LWW state where overwritten entries are gone).
 *
 * Eager pushes deliver entries out of order, so they never advance a clock; only a claim does,
 * and a claim (from, to] is accepted only when the receiver's clock already reaches `from`, so
 * a lost chunk never lets a clock skip entries.
 *
 * This is the simple first strategy: digests grow with the number of writers. It sits behind
 * {@link MapReplica}'s small surface so a cheaper reconciliation can replace it.
 */
export class MapReplica {
  readonly map: LwwMap;
  readonly #clocks = new Map<NodeId, Timestamp>();
  /** Per writer, the entries held beyond its synced clock. */
  readonly #beyond = new Map<NodeId, BeyondEntries>();
  /** Every entry by writer and version: what a plan walks instead of the whole map. */
  readonly #index: EntryIndex;
  /** The map is kept in the store: nothing is loaded, yet entries beyond clocks are to be noted. */
  readonly #inStore: boolean;

  /**
   * Entries merged from peers whose storage batch is not durable yet. A held-beyond summary
   * leaves them out: a peer that sees an entry summed skips sending it, and after a crash this
   * replica would lack it while a claim the peer sent in that same answer (accepted after the
   * restart) moved the clock past it, for good. Held as the batches merged, not entry by entry:
   * a merge then costs one insert, and only a summary (rarer) looks inside.
   */
  readonly #notDurable = new Set<readonly MapEntry[]>();

  /**
   * While a message merges, the entries applied from it: whether they are beyond their
   * writer's clock is only known after its claims (see {@link MapReplica.merging}).
   */
  #merged: MapEntry[] | undefined;
  /** Entries are being loaded from storage: {@link MapReplica.loaded} notes them all at the end. */
  #loading = false;

  /** Own writes newer than `#withheldAfter` are not durable yet: they are not offered to peers. */
  #withheldWriter: NodeId | undefined;
  #withheldAfter: Timestamp = ZERO_TIMESTAMP;

  /** @param stored where the map is kept when not in memory (ADR 0050). */
  constructor(stored?: StoredEntries) {
    const observe = (entry: MapEntry, replaced: MapEntry | undefined): void => {
      if (replaced !== undefined) {
        this.#beyond.get(replaced.writer)?.remove(replaced.key);
        this.#index.removed(replaced);
      }
      this.#index.add(entry);
      if (this.#loading) return;
      if (this.#merged === undefined) this.#trackIfBeyond(entry);
      else this.#merged.push(entry);
    };
    this.#inStore = stored !== undefined;
    if (stored === undefined) {
      this.map = new LwwMap(observe);
      this.#index = new WriterIndex((entry) => this.map.entry(entry.key) === entry);
    } else {
      this.map = new LwwMap(observe, stored, stored.counts);
      stored.countFrom(() => ({ live: this.map.size, total: this.map.size + this.map.tombstones }));
      this.#index = stored;
    }
  }

  /**
   * Withholds `writer`'s entries newer than `after` from every plan, until raised again: a
   * node's own write must be durable before any peer sees it, or a crash could let it reissue
   * the same timestamp for another value.
   */
  withholdAfter(writer: NodeId, after: Timestamp): void {
    // Two fields, not an object: this runs on every local write.
    this.#withheldWriter = writer;
    this.#withheldAfter = after;
  }

  /** Notes entries merged from a peer whose storage batch is still being written. */
  pendingDurable(entries: readonly MapEntry[]): void {
    this.#notDurable.add(entries);
  }

  /** The batch holding `entries` (the array given to pendingDurable) is durable. */
  becameDurable(entries: readonly MapEntry[]): void {
    this.#notDurable.delete(entries);
  }

  /**
   * Runs `merge` (a message's entries, then its claims) and only then notes which merged
   * entries are held beyond their writer's clock: a claim usually covers the entries that came
   * with it, and noting each one to drop it again at the claim was a tenth of a merge.
   */
  merging<T>(merge: () => T): T {
    if (this.#merged !== undefined) return merge();
    const merged: MapEntry[] = [];
    this.#merged = merged;
    try {
      return merge();
    } finally {
      this.#merged = undefined;
      for (const entry of merged) if (this.map.entry(entry.key) === entry) this.#trackIfBeyond(entry);
    }
  }

  /**
   * Applies an entry loaded from storage. Which loaded entries are held beyond their writer's
   * clock is noted once, by {@link MapReplica.loaded}: the clocks load after the entries.
   */
  load(entry: MapEntry): void {
    this.#loading = true;
    this.map.apply(entry);
  }

  /** Every entry and clock is loaded (own clock raised too): notes the entries held beyond. */
  loaded(): void {
    if (!this.#loading && !this.#inStore) return;
    this.#loading = false;
    for (const writer of this.#index.writers())
      for (const entry of this.#index.newerThan(writer, this.#clocks.get(writer))) this.#trackIfBeyond(entry);
  }

  /** The synced clock of `writer` (zero when none). */
  clockOf(writer: NodeId): Timestamp {
    return this.#clocks.get(writer) ?? ZERO_TIMESTAMP;
  }

  /**
   * Every writer's clock, sorted by writer: the digest. A writer whose entries are held beyond
   * its synced clock also carries a {@link HeldBeyond} summary of them (own entries not yet
   * durable are left out, as everywhere, and so are peers' entries not durable yet).
   */
  clocks(): Array<[NodeId, MapClock]> {
    const writers = new Set<NodeId>([...this.#clocks.keys(), ...this.#beyond.keys()]);
    const notDurable = new Set<MapEntry>();
    for (const batch of this.#notDurable) for (const entry of batch) notDurable.add(entry);
    const clocks: Array<[NodeId, MapClock]> = [];
    for (const writer of writers) {
      const clock = this.clockOf(writer);
      const held: MapEntry[] = [];
      for (const entry of this.#beyond.get(writer)?.values() ?? [])
        if (!this.#isWithheld(entry) && !notDurable.has(entry)) held.push(entry);
      const beyond = summarizeHeldBeyond(held);
      if (beyond === undefined && !this.#clocks.has(writer)) continue;
      clocks.push([writer, beyond === undefined ? clock : { ...clock, beyond }]);
    }
    return clocks.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The writers a peer with `remote` clocks holds entries of that this replica lacks. */
  lacking(remote: ReadonlyArray<readonly [NodeId, MapClock]>): Lacking {
    let writers = 0;
    let own: Map<NodeId, MapClock> | undefined;
    for (const [writer, theirs] of remote) {
      const ours = this.clockOf(writer);
      if (compareTimestamps(theirs, ours) > 0) writers++;
      else if (theirs.beyond !== undefined) {
        // Pushed entries move no clock: a peer holding a fresh write we missed shows it only in
        // its summary of entries held beyond its clock. Missing that left a missed write to
        // the peers' own attachments (the 30 % loss tail of issue 20).
        own ??= new Map(this.clocks());
        if (mayHoldUnseen(theirs, ours, own.get(writer))) writers++;
      }
    }
    return { entries: 0, writers };
  }

  /** Forgets one key's entry for good (compaction, stale refresh). */
  purge(key: string): void {
    const entry = this.map.entry(key);
    this.map.purge(key);
    if (entry !== undefined) {
      this.#beyond.get(entry.writer)?.remove(key);
      this.#index.removed(entry);
    }
  }

  /** Raises a writer's synced clock (own writes, reloaded state); returns true when it moved. */
  raiseClock(writer: NodeId, stamp: Timestamp): boolean {
    if (compareTimestamps(stamp, this.clockOf(writer)) <= 0) return false;
    this.#clocks.set(writer, { wall: stamp.wall, counter: stamp.counter });
    const beyond = this.#beyond.get(writer);
    if (beyond !== undefined) {
      beyond.raise(stamp);
      if (beyond.size === 0) this.#beyond.delete(writer);
    }
    return true;
  }

  /** Forgets what this replica knew of `writer` (it dropped those entries and will refetch them). */
  resetClock(writer: NodeId): void {
    this.#clocks.delete(writer);
    for (const entry of this.#index.newerThan(writer, undefined)) this.#trackIfBeyond(entry);
  }

  #trackIfBeyond(entry: MapEntry): void {
    // The withheld writer (this node) keeps its withholding mark at its own clock, so its
    // entries beyond the clock are all withheld: no summary would count them, no plan offer
    // them. Tracking them would only cost a map insert and delete per local write.
    if (entry.writer === this.#withheldWriter) return;
    if (compareTimestamps(entry, this.clockOf(entry.writer)) <= 0) return;
    let beyond = this.#beyond.get(entry.writer);
    if (beyond === undefined) {
      beyond = new BeyondEntries();
      this.#beyond.set(entry.writer, beyond);
    }
    beyond.track(entry);
  }

  /**
   * Applies a received claim after its message's entries were merged. Returns true when the
   * claim advanced the clock.
   */
  acceptClaim(claim: RangeClaim): boolean {
    if (compareTimestamps(this.clockOf(claim.writer), claim.from) < 0) return false;
    return this.raiseClock(claim.writer, claim.to);
  }

  /**
   * Plans what a peer whose digest holds `remote` clocks, for writers in [`from`, `to`), lacks.
   * Every entry newer than the peer's clock for its writer is included, vouched-for or not, so
   * an entry that reached only this replica (by push) still spreads. With `limit`, writers are
   * planned in order until it is reached: the writer cut short is vouched for only up to its
   * last entry planned, and later writers not at all, so the peer's next digest asks for the
   * rest and nothing is skipped.
   */
  planDelta(
    remote: ReadonlyMap<NodeId, MapClock>,
    from: string,
    to: string | null,
    limit = Number.POSITIVE_INFINITY,
  ): MapDeltaPlan {
    const inRange = (writer: NodeId) => writer >= from && (to === null || writer < to);
    // By writer, then version: a chunk then names few writers, and claims chain per writer.
    const writers = [...this.#index.writers()].filter(inRange).sort();
    const entries: MapEntry[] = [];
    /** The writer the limit cut short, and its last entry planned. */
    let cut: { readonly writer: NodeId; readonly at: Timestamp | undefined } | undefined;
    for (const writer of writers) {
      const known = remote.get(writer);
      const beyond = known?.beyond;
      // The peer's span beyond its clock: ours there, in version order.
      const span: MapEntry[] = [];
      const later: MapEntry[] = [];
      const room = limit - entries.length;
      let last: MapEntry | undefined;
      for (const entry of this.#index.newerThan(writer, known)) {
        if (this.#isWithheld(entry)) continue;
        if (span.length + later.length === room) {
          cut = { writer, at: last };
          break;
        }
        if (beyond !== undefined && compareTimestamps(entry, beyond.max) <= 0) span.push(entry);
        else later.push(entry);
        last = entry;
      }
      // Where the peer holds exactly what we hold in (a bucket of) its span, it needs none of it again.
      if (beyond !== undefined) appendAll(entries, unmatchedSpan(span, beyond));
      appendAll(entries, later);
      if (cut !== undefined) break;
    }
    const claims: RangeClaim[] = [];
    for (const [writer, clock] of this.#clocks) {
      if (!inRange(writer) || (cut !== undefined && writer > cut.writer)) continue;
      let vouched = clock;
      if (writer === cut?.writer) {
        if (cut.at === undefined) continue;
        if (compareTimestamps(cut.at, vouched) < 0) vouched = { wall: cut.at.wall, counter: cut.at.counter };
      }
      const known = remote.get(writer) ?? ZERO_TIMESTAMP;
      if (compareTimestamps(vouched, known) > 0)
        claims.push({ writer, from: { wall: known.wall, counter: known.counter }, to: vouched });
    }
    claims.sort((a, b) => (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0));
    return { claims, entries };
  }

  #isWithheld(entry: MapEntry): boolean {
    return entry.writer === this.#withheldWriter && compareTimestamps(entry, this.#withheldAfter) > 0;
  }
}
