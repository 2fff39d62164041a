import type { Timestamp } from '../clock/timestamp.js';
import type { NodeId } from '../ids/node-id.js';
import type { ObjectDelta, ObjectKind } from '../protocol/sync-messages.js';
import type { Clock } from './clock-set.js';
import type { ObjectPlan } from './delta-chunker.js';
import type { PlanAsker } from './stream-replica.js';

/** What a replica lacks by a peer's clocks: entries it can count, writers ahead of it. */
export interface Lacking {
  readonly entries: number;
  readonly writers: number;
}

/**
 * A replicated object as the sync engine sees it, whatever its kind (a map, a stream): the
 * engine digests, plans, compares and merges through this and never asks which kind it holds.
 */
export interface SyncedObject {
  readonly kind: ObjectKind;
  readonly name: string;
  /** This replica's digest: per writer its clock, sorted by writer. */
  clocks(): ReadonlyArray<readonly [NodeId, Clock]>;
  /**
   * What a peer whose digest lists `remote` for the writers in [`from`, `to`) lacks (an empty
   * `remote`: a peer without the object). `asker`: the plan answers that peer now. `limit`: a
   * map plans at most this many entries and then vouches only for what it planned, so the peer
   * asks again for the rest (a stream plans all it lacks).
   */
  plan(
    remote: ReadonlyMap<NodeId, Clock>,
    from: string,
    to: string | null,
    asker?: PlanAsker,
    limit?: number,
  ): ObjectPlan;
  /** What this replica lacks by a peer's clocks of it. */
  lacking(remote: ReadonlyArray<readonly [NodeId, Clock]>): Lacking;
  /**
   * Merges a peer's delta of this object (of this kind); returns the entries that were new
   * here, in a new array the caller owns (the engine queues it for relay as it is).
   */
  merge(delta: ObjectDelta, from?: NodeId): Timestamp[];
  /**
   * What to push on of entries the last {@link SyncedObject.merge} found new (some of them, as
   * `fresh`): a stream's entries as they are; a map's writers' proofs with them (ADR 0058).
   */
  relayPlan(fresh: readonly Timestamp[]): ObjectPlan;
}
