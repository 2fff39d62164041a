import type { Timestamp, Version } from '../clock/timestamp.js';
import type { StreamEntry } from '../crdt/event-log.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { ChainFingerprint } from '../crdt/stream-chain.js';
import type { NodeId } from '../ids/node-id.js';
import type { SetSignature } from '../sync/verified-sets.js';
import type { CutNode, SliceAt } from '../sync/writer-set.js';

/** Which replicated object a digest or delta part is about. */
export type ObjectKind = 'map' | 'stream';

/**
 * Per-writer clocks of one object over the writers in [`from`, `to`) (`to` null = no upper
 * bound). A digest chunk speaks only for its writer range, so a long digest can be split across
 * messages and each chunk is answered alone.
 */
export interface ObjectDigest {
  readonly kind: ObjectKind;
  readonly name: string;
  readonly from: string;
  readonly to: string | null;
  /**
   * Maps: the writer's synced timestamp, with a summary of entries held beyond it. Streams: the
   * author's highest contiguous seq and the fingerprint of those entries.
   */
  readonly clocks: ReadonlyArray<readonly [NodeId, MapClock | StreamClock]>;
}

/**
 * One writer's signed proof in a map delta (ADR 0058), and how many of the delta's entries and
 * ghosts it covers (they follow the previous proofs' in the delta's lists):
 * - `whole`: the writer's items newer than `from` up to the signed version;
 * - `cut`: the start of a catch-up by slices, the sender's tree cut into parts (no items);
 * - `slice`: the items of one part of a cut signed at `version`, newer than the receiver's clock.
 */
export type MapProof =
  | {
      readonly kind: 'whole';
      readonly writer: NodeId;
      readonly from: Timestamp;
      readonly signed: SetSignature;
      readonly entries: number;
      readonly ghosts: number;
    }
  | {
      readonly kind: 'cut';
      readonly writer: NodeId;
      readonly signed: SetSignature;
      readonly nodes: readonly CutNode[];
    }
  | {
      readonly kind: 'slice';
      readonly writer: NodeId;
      readonly version: Timestamp;
      readonly at: SliceAt;
      readonly entries: number;
      readonly ghosts: number;
    };

/**
 * A write of `writer` that the sender's map no longer holds (a newer entry replaced it): its
 * key, version and value digest, all a receiver needs to check the writer's set. `by` names the
 * entry that replaced it where the sender holds one, so the receiver can tell when it should
 * hold that entry too (a sender passing a live write off as replaced is found out then).
 */
export interface MapGhost extends Version {
  readonly key: string;
  readonly digest: Uint8Array;
  readonly by: Version | undefined;
}

/** Entries of one map, with the proofs that cover them. */
export interface MapDelta {
  readonly kind: 'map';
  readonly name: string;
  readonly proofs: readonly MapProof[];
  /** Entries, laid out proof by proof; any after the last proof's are covered by none. */
  readonly entries: readonly MapEntry[];
  /** Ghosts, laid out proof by proof. */
  readonly ghosts: readonly MapGhost[];
  /**
   * The message the delta was read from: each entry's value as it was encoded on the wire lies
   * in it, at `valueRanges`. A receiver persists and checks these bytes instead of encoding the
   * value again.
   */
  readonly source: Uint8Array;
  /**
   * Two offsets into `source` per entry, aligned with `entries`: where its encoded value starts
   * and ends, or `-1, -1` for a tombstone. Offsets, not a view per entry: a view was the
   * largest object a merge made per entry, and lived until the whole message had merged.
   */
  readonly valueRanges: readonly number[];
}

/** Entries of one stream. */
export interface StreamDelta {
  readonly kind: 'stream';
  readonly name: string;
  readonly entries: readonly StreamEntry[];
}

/** The delta for one object. */
export type ObjectDelta = MapDelta | StreamDelta;

/** Push-pull anti-entropy request or answer. */
export interface DigestMessage {
  readonly type: 'digest';
  readonly channel: string;
  /** True when this digest answers one: the receiver sends deltas but no digest back. */
  readonly reply: boolean;
  /**
   * True when the sender completed a sync of this channel within the tombstone horizon: it can
   * be trusted to have every delete a stale receiver might have missed (see `tombstoneHorizon`).
   */
  readonly fresh: boolean;
  /**
   * The digest speaks for every object whose id (`m:name` or `s:name`) is in [`scopeFrom`,
   * `scopeTo`) (`scopeTo` null = no bound): an object in scope but not listed is one the sender
   * does not have at all. Long digests are split into chunks with disjoint scopes.
   */
  readonly scopeFrom: string;
  readonly scopeTo: string | null;
  /**
   * When set, an 8-byte fingerprint of the last full clock set this sender sent the receiver:
   * `objects` then lists only the clocks that moved since, and scope does not apply. A receiver
   * that does not hold that base answers with `unknownBase` and gets a full digest.
   */
  readonly base?: Uint8Array;
  readonly objects: readonly ObjectDigest[];
  /**
   * When set, a *summary* digest: instead of clocks (`objects` is empty, scope is the whole
   * channel), per object a fingerprint of the clocks in each writer bucket, and the hash of the
   * whole set. The receiver rebuilds the whole digest from its own clocks when every bucket
   * matches, else sends an {@link DigestMessage.answer}. Used for a first contact whose full
   * digest would take several messages (ADR 0047).
   */
  readonly summary?: DigestSummary;
  /**
   * When set, an *answer* to a summary digest: `objects` is empty, and this names the summary's
   * set and says how the sender's clocks differ from it, bucket by bucket. The receiver
   * rebuilds the sender's whole digest from its own summarized set.
   */
  readonly answer?: SummaryAnswer;
  /**
   * Entries the sender believed the receiver lacks, sent along with the digest (with claims, as
   * in an answer): merged before the digest is answered. Absent when none.
   */
  readonly attached?: readonly ObjectDelta[];
}

/** A whole clock set, fingerprinted by writer buckets (ADR 0047). */
export interface DigestSummary {
  /** The 8-byte hash of the whole set (`hashClockSet`): what a rebuilt set must hash to. */
  readonly hash: Uint8Array;
  readonly objects: readonly ObjectSummary[];
}

/**
 * One object of a summary: its writers fall in `2^bits` buckets by the top bits of SHA-256 of
 * their id, and each bucket's clocks are fingerprinted in 4 bytes, in bucket order.
 */
export interface ObjectSummary {
  readonly kind: ObjectKind;
  readonly name: string;
  readonly bits: number;
  readonly fingerprints: Uint8Array;
}

/**
 * How the answering node's clock set differs from a summarized one: per object whose buckets
 * differed, all of its clocks in those buckets (or that it does not hold the object).
 */
export interface SummaryAnswer {
  /** The hash of the summarized set (the summary's `hash`). */
  readonly base: Uint8Array;
  /** The hash of the answering node's whole set, which the rebuilt set must match. */
  readonly hash: Uint8Array;
  readonly objects: readonly BucketClocks[];
}

/**
 * One object of a {@link SummaryAnswer}. `held: false`: the sender does not hold the object.
 * Else its clocks of every writer in the listed `buckets` (of `2^bits`, ascending), replacing
 * whatever the summarized set held there.
 */
export type BucketClocks =
  | { readonly kind: ObjectKind; readonly name: string; readonly held: false }
  | {
      readonly kind: ObjectKind;
      readonly name: string;
      readonly held: true;
      readonly bits: number;
      readonly buckets: readonly number[];
      readonly clocks: ReadonlyArray<readonly [NodeId, MapClock | StreamClock]>;
    };

/** Entries for one channel. */
export interface DeltaMessage {
  readonly type: 'delta';
  readonly channel: string;
  /** An eager push of fresh writes rather than an answer to a digest. */
  readonly push: boolean;
  /** The last chunk of an answer. */
  readonly final: boolean;
  /** As {@link DigestMessage.fresh}. */
  readonly fresh: boolean;
  /** The digest this answers named a base the receiver does not hold: send a full digest. */
  readonly unknownBase: boolean;
  readonly objects: readonly ObjectDelta[];
}

/** Every sync message. */
export type SyncMessage = DigestMessage | DeltaMessage;

/**
 * How far a catch-up by slices of one writer's set has come (ADR 0058): the version of the cut
 * it follows, and a bit per node of that cut (in cut order, bit i of byte i >> 3 from the low
 * end) set where that part is proven. A peer at that version sends only the other parts.
 */
export interface CatchUpParts {
  readonly version: Timestamp;
  readonly done: Uint8Array;
}

/** A map writer's clock in a digest: the version of its set held, plus a catch-up under way. */
export interface MapClock extends Timestamp {
  readonly parts?: CatchUpParts;
}

/**
 * A stream author's clock in a digest: the highest contiguous seq held, and the fingerprint of
 * entries 1..seq. A peer holding as many whose fingerprint differs holds another history.
 */
export interface StreamClock {
  readonly seq: number;
  /**
   * Always on the wire; absent only from a belief advanced by entries we sent (what the peer's
   * fingerprint became is not computed): no conflict is looked for against it.
   */
  readonly chain?: ChainFingerprint;
}
