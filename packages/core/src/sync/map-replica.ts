import { compareTimestamps, compareVersions, type Timestamp, ZERO_TIMESTAMP } from '../clock/timestamp.js';
import { LwwMap, type MapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import type { RangeClaim } from '../protocol/sync-messages.js';

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
  readonly map = new LwwMap();
  readonly #clocks = new Map<NodeId, Timestamp>();
  /** Own writes newer than this are not durable yet: they are not offered to peers. */
  #withheld: { writer: NodeId; after: Timestamp } | undefined;

  /**
   * Withholds `writer`'s entries newer than `after` from every plan, until raised again: a
   * node's own write must be durable before any peer sees it, or a crash could let it reissue
   * the same timestamp for another value.
   */
  withholdAfter(writer: NodeId, after: Timestamp): void {
    this.#withheld = { writer, after };
  }

  /** The synced clock of `writer` (zero when none). */
  clockOf(writer: NodeId): Timestamp {
    return this.#clocks.get(writer) ?? ZERO_TIMESTAMP;
  }

  /** Every synced clock, sorted by writer: the digest. */
  clocks(): Array<[NodeId, Timestamp]> {
    return [...this.#clocks].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Raises a writer's synced clock (own writes, reloaded state); returns true when it moved. */
  raiseClock(writer: NodeId, stamp: Timestamp): boolean {
    if (compareTimestamps(stamp, this.clockOf(writer)) <= 0) return false;
    this.#clocks.set(writer, { wall: stamp.wall, counter: stamp.counter });
    return true;
  }

  /** Forgets what this replica knew of `writer` (it dropped those entries and will refetch them). */
  resetClock(writer: NodeId): void {
    this.#clocks.delete(writer);
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
   * an entry that reached only this replica (by push) still spreads.
   */
  planDelta(remote: ReadonlyMap<NodeId, Timestamp>, from: string, to: string | null): MapDeltaPlan {
    const inRange = (writer: NodeId) => writer >= from && (to === null || writer < to);
    const entries: MapEntry[] = [];
    for (const entry of this.map.allEntries()) {
      if (!inRange(entry.writer) || this.#isWithheld(entry)) continue;
      const known = remote.get(entry.writer);
      if (known === undefined || compareTimestamps(entry, known) > 0) entries.push(entry);
    }
    // By writer, then version: a chunk then names few writers, and claims chain per writer.
    entries.sort(byWriterThenVersion);
    const claims: RangeClaim[] = [];
    for (const [writer, clock] of this.clocks()) {
      if (!inRange(writer)) continue;
      const known = remote.get(writer) ?? ZERO_TIMESTAMP;
      if (compareTimestamps(clock, known) > 0) claims.push({ writer, from: known, to: clock });
    }
    return { claims, entries };
  }

  #isWithheld(entry: MapEntry): boolean {
    const withheld = this.#withheld;
    return (
      withheld !== undefined &&
      entry.writer === withheld.writer &&
      compareTimestamps(entry, withheld.after) > 0
    );
  }
}

function byWriterThenVersion(a: MapEntry, b: MapEntry): number {
  if (a.writer !== b.writer) return a.writer < b.writer ? -1 : 1;
  return compareVersions(a, b);
}
