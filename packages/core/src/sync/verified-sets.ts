import { firstAfter } from '../clock/first-after.js';
import { compareTimestamps, type Timestamp, ZERO_TIMESTAMP } from '../clock/timestamp.js';
import type { NodeId } from '../ids/node-id.js';
import type { Sha256 } from '../ports/sha256.js';
import type { CatchUpParts } from '../protocol/sync-messages.js';
import { bytesEqual } from '../storage/bytes.js';
import { placeOf } from './key-place.js';
import {
  type CutNode,
  rootFromCut,
  type SetItem,
  type SliceAt,
  sliceIndexAt,
  WriterSet,
} from './writer-set.js';

/** A writer's signature over its whole set at one version (ADR 0058), as replicas keep and relay it. */
export interface SetSignature {
  /** The writer's newest write in the set it signed. */
  readonly version: Timestamp;
  readonly signature: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * What an answer or push carries for one writer's whole set: its items newer than `from` (the
 * receiver's clock as the sender planned it) up to the signed version.
 */
export interface ProvenItems {
  readonly writer: NodeId;
  readonly from: Timestamp;
  readonly signed: SetSignature;
  readonly items: readonly SetItem[];
}

/**
 * The start of a large catch-up of one writer's set: the sender's tree cut into parts (the
 * nodes' hashes), which the receiver checks against the signed root once and then each part
 * alone, as its {@link SlicedItems} arrive.
 */
export interface SetCut {
  readonly writer: NodeId;
  readonly signed: SetSignature;
  readonly nodes: readonly CutNode[];
}

/** One part of a catch-up by slices: the writer's items under `at` newer than the receiver's clock. */
export interface SlicedItems {
  readonly writer: NodeId;
  /** The signed version of the cut this part belongs to. */
  readonly version: Timestamp;
  readonly at: SliceAt;
  readonly items: readonly SetItem[];
}

/**
 * Whether `signed` is `writer`'s signature over its set with root `root`; undefined when this
 * node cannot tell yet (the writer's key is not known first-hand yet).
 */
export type SetCheck = (writer: NodeId, signed: SetSignature, root: Uint8Array) => boolean | undefined;

/**
 * What {@link VerifiedSets.accept} made of a writer's items:
 * - `proven`: they hashed to the signed root; the set holds them now.
 * - `refused`: they did not (or broke the rules of a range): forged, or a peer's fault.
 * - `skipped`: this replica cannot judge them (it lacks items before `from`, or already holds
 *   newer ones than the signature): nothing changed and nothing is wrong.
 * - `early`: a part of a catch-up whose cut has not arrived (messages overtake each other): it
 *   can be judged once the cut is in.
 */
export type Acceptance = 'proven' | 'refused' | 'skipped' | 'early';

/** A cut is at most this many nibbles deep: at most 4096 parts. */
export const MAX_CUT_DEPTH = 3;

/** A catch-up by slices under way: the cut checked against the signature, and its parts not proven yet. */
interface CatchUp {
  readonly signed: SetSignature;
  /** Each part's hash by slice (`depth/index`), in cut order. */
  readonly hashes: Map<string, Uint8Array>;
  /** Parts whose items are not proven yet. */
  readonly pending: Set<string>;
}

interface WriterState {
  readonly set: WriterSet;
  /** The set's items in version order; those since replaced are in `dead` until the list is compacted. */
  byVersion: SetItem[];
  sorted: boolean;
  readonly dead: Set<SetItem>;
  /** The version every item of the writer's up to which this replica holds (its clock). */
  clock: Timestamp;
  /** The signature over the set as held: undefined while catching up by slices (the set is a mix). */
  signed: SetSignature | undefined;
  catchUp: CatchUp | undefined;
}

/**
 * Per writer of one map, the set of its latest writes that this replica has verified against the
 * writer's signature (ADR 0058), and the version it holds them up to: the writer's *clock* here.
 * A clock moves only when items hash to a root the writer signed, so a peer can neither add an
 * item in another's name nor leave one out of a range it answers for.
 *
 * A large catch-up comes in slices: first the sender's tree cut into parts, checked against the
 * signed root, then each part's items, checked alone against its hash and shown at once. The
 * clock moves when the last part is proven. Meanwhile the set is a mix of versions that no
 * signature covers, so it is not offered to peers.
 */
export class VerifiedSets {
  readonly #sha256: Sha256;
  readonly #writers = new Map<NodeId, WriterState>();

  constructor(sha256: Sha256) {
    this.#sha256 = sha256;
  }

  /** Writers with a set here. */
  writers(): IterableIterator<NodeId> {
    return this.#writers.keys();
  }

  /** The version up to which this replica holds `writer`'s items (zero when none). */
  clockOf(writer: NodeId): Timestamp {
    return this.#writers.get(writer)?.clock ?? ZERO_TIMESTAMP;
  }

  /** The signature that covers `writer`'s set as held here, if one does (none while it is a mix). */
  signatureOf(writer: NodeId): SetSignature | undefined {
    return this.#writers.get(writer)?.signed;
  }

  /** `writer`'s item for `key`, if its set holds one. */
  itemOf(writer: NodeId, key: string): SetItem | undefined {
    return this.#writers.get(writer)?.set.get(key);
  }

  /** The set of `writer` (for slices and paths); undefined when none. */
  setOf(writer: NodeId): WriterSet | undefined {
    return this.#writers.get(writer)?.set;
  }

  /** `writer`'s items newer than `after`, in version order. */
  *newerThan(writer: NodeId, after: Timestamp): Generator<SetItem> {
    const state = this.#writers.get(writer);
    if (state === undefined) return;
    if (!state.sorted) {
      state.byVersion.sort(compareTimestamps);
      state.sorted = true;
    }
    const list = state.byVersion;
    for (let i = firstAfter(list, after); i < list.length; i++) {
      const item = list[i] as SetItem;
      if (!state.dead.has(item)) yield item;
    }
  }

  /**
   * Takes `writer`'s own items (durable writes) into its set, raises its clock to `version` and
   * returns the root to sign; {@link VerifiedSets.signed} then keeps the signature.
   */
  addOwn(writer: NodeId, items: readonly SetItem[], version: Timestamp): Uint8Array {
    const state = this.#state(writer);
    for (const item of items) this.#put(state, item);
    if (compareTimestamps(version, state.clock) > 0) state.clock = version;
    return state.set.root();
  }

  /** Keeps `signed` as the signature over `writer`'s set as held now (own, or loaded from storage). */
  signed(writer: NodeId, signed: SetSignature): void {
    const state = this.#state(writer);
    state.signed = signed;
    state.catchUp = undefined;
    if (compareTimestamps(signed.version, state.clock) > 0) state.clock = signed.version;
  }

  /** Puts an item loaded from storage, unchecked: the signature loaded with it covers the set. */
  load(writer: NodeId, item: SetItem): void {
    this.#put(this.#state(writer), item);
  }

  /**
   * Checks `proven`'s items against the writer's signed root and, when they hash to it, keeps
   * them and moves the writer's clock; else leaves everything as it was. `check` verifies the
   * signature (which key is the writer's is the caller's to know).
   */
  accept(proven: ProvenItems, check: SetCheck): Acceptance {
    const { writer, from, signed } = proven;
    const to = signed.version;
    if (compareTimestamps(from, to) >= 0 || !inRange(proven.items, from, to)) return 'refused';
    const known = this.#writers.has(writer);
    const state = this.#state(writer);
    const result = this.#accept(state, proven, check);
    // A writer first named by a proof that was not taken leaves nothing behind: a peer must not
    // make this replica keep a set per name it makes up.
    if (result !== 'proven' && !known) this.#writers.delete(writer);
    return result;
  }

  #accept(state: WriterState, proven: ProvenItems, check: SetCheck): Acceptance {
    const { writer, from, signed } = proven;
    const to = signed.version;
    // Judged only where this replica holds everything up to `from` (else a missing item would
    // fail an honest root) and nothing past `to` (else a newer item would). A catch-up under way
    // holds parts at its own version: a whole set at or past it completes them.
    const catching = state.catchUp?.signed.version;
    if (compareTimestamps(state.clock, from) < 0 || compareTimestamps(state.clock, to) >= 0) return 'skipped';
    if (catching !== undefined && compareTimestamps(catching, to) > 0) return 'skipped';
    const undo = this.#apply(state, proven.items, undefined) as Array<[SetItem, SetItem | undefined]>;
    const valid = check(writer, signed, state.set.root());
    if (valid !== true) {
      this.#undo(state, undo);
      return valid === undefined ? 'skipped' : 'refused';
    }
    this.#commit(state, undo);
    this.#complete(state, signed);
    return 'proven';
  }

  /**
   * Starts (or moves on) a catch-up by slices from `cut`: checks that its nodes make the signed
   * root and keeps their hashes; parts this replica already holds as the cut has them are
   * proven at once.
   */
  acceptCut(cut: SetCut, check: SetCheck): Acceptance {
    const { writer, signed } = cut;
    if (cut.nodes.some((node) => node.at.depth > MAX_CUT_DEPTH)) return 'refused';
    const root = rootFromCut(this.#sha256, cut.nodes);
    if (root === undefined) return 'refused';
    const valid = check(writer, signed, root);
    if (valid !== true) return valid === undefined ? 'skipped' : 'refused';
    const state = this.#state(writer);
    if (compareTimestamps(state.clock, signed.version) >= 0) return 'skipped';
    const catching = state.catchUp?.signed.version;
    if (catching !== undefined && compareTimestamps(catching, signed.version) > 0) return 'skipped';
    if (catching === undefined || compareTimestamps(catching, signed.version) !== 0) {
      const hashes = new Map<string, Uint8Array>();
      for (const node of cut.nodes) hashes.set(sliceKey(node.at), node.hash);
      state.catchUp = { signed, hashes, pending: new Set(hashes.keys()) };
      state.signed = undefined;
    }
    const catchUp = state.catchUp as CatchUp;
    for (const node of cut.nodes) {
      const key = sliceKey(node.at);
      if (catchUp.pending.has(key) && bytesEqual(state.set.sliceHash(node.at), node.hash))
        catchUp.pending.delete(key);
    }
    this.#completeIfDone(state);
    return 'proven';
  }

  /**
   * Checks one part of a catch-up against its hash in the cut: when the items, put into this
   * replica's part, make it hash as the cut says, keeps them (a part proven is the writer's
   * words: they can be shown) and, with the last part, moves the clock to the cut's version.
   */
  acceptSlice(sliced: SlicedItems): Acceptance {
    const state = this.#writers.get(sliced.writer);
    const catchUp = state?.catchUp;
    if (state === undefined || catchUp === undefined)
      return compareTimestamps(this.clockOf(sliced.writer), sliced.version) < 0 ? 'early' : 'skipped';
    const order = compareTimestamps(catchUp.signed.version, sliced.version);
    if (order < 0) return 'early';
    if (order > 0) return 'skipped';
    const key = sliceKey(sliced.at);
    const hash = catchUp.hashes.get(key);
    if (hash === undefined || !inRange(sliced.items, state.clock, sliced.version)) return 'refused';
    if (!catchUp.pending.has(key)) return 'skipped';
    const undo = this.#apply(state, sliced.items, sliced.at);
    if (undo === undefined || !bytesEqual(state.set.sliceHash(sliced.at), hash)) {
      if (undo !== undefined) this.#undo(state, undo);
      return 'refused';
    }
    this.#commit(state, undo);
    catchUp.pending.delete(key);
    this.#completeIfDone(state);
    return 'proven';
  }

  /** Whether `writer` is catching up by slices (its set is a mix no signature covers). */
  catchingUp(writer: NodeId): boolean {
    return this.#writers.get(writer)?.catchUp !== undefined;
  }

  /** How far `writer`'s catch-up by slices has come, as a digest says it; undefined when none is under way. */
  partsOf(writer: NodeId): CatchUpParts | undefined {
    const catchUp = this.#writers.get(writer)?.catchUp;
    if (catchUp === undefined) return undefined;
    const done = new Uint8Array(Math.ceil(catchUp.hashes.size / 8));
    let index = 0;
    for (const key of catchUp.hashes.keys()) {
      if (!catchUp.pending.has(key)) done[index >> 3] = (done[index >> 3] as number) | (1 << (index & 7));
      index++;
    }
    return { version: catchUp.signed.version, done };
  }

  /** Forgets `writer`'s set and clock: the next sync fetches them again. */
  reset(writer: NodeId): void {
    this.#writers.delete(writer);
  }

  /**
   * Puts `items` into the set (newer wins per key); returns how to undo it, or undefined (and
   * nothing put) when an item is not under `at`.
   */
  #apply(
    state: WriterState,
    items: readonly SetItem[],
    at: SliceAt | undefined,
  ): Array<[SetItem, SetItem | undefined]> | undefined {
    // Each key hashed once: its place says both which slice it is in and where it goes.
    const places = items.map((item) => placeOf(item.key));
    if (
      at !== undefined &&
      at.depth > 0 &&
      places.some((place) => sliceIndexAt(place, at.depth) !== at.index)
    )
      return undefined;
    const undo: Array<[SetItem, SetItem | undefined]> = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as SetItem;
      const previous = state.set.putAt(item, places[i] as number);
      if (previous !== null) undo.push([item, previous]);
    }
    return undo;
  }

  /** Items put and proven: indexed by version, those they replaced marked dead. */
  #commit(state: WriterState, applied: ReadonlyArray<readonly [SetItem, SetItem | undefined]>): void {
    for (const [item, previous] of applied) this.#indexed(state, item, previous);
  }

  #completeIfDone(state: WriterState): void {
    const catchUp = state.catchUp;
    if (catchUp !== undefined && catchUp.pending.size === 0) this.#complete(state, catchUp.signed);
  }

  /** The set as held is the writer's at `signed`: it covers it, and the clock moves there. */
  #complete(state: WriterState, signed: SetSignature): void {
    state.signed = signed;
    state.catchUp = undefined;
    state.clock = signed.version;
  }

  #state(writer: NodeId): WriterState {
    let state = this.#writers.get(writer);
    if (state === undefined) {
      state = {
        set: new WriterSet(this.#sha256),
        byVersion: [],
        sorted: true,
        dead: new Set(),
        clock: ZERO_TIMESTAMP,
        signed: undefined,
        catchUp: undefined,
      };
      this.#writers.set(writer, state);
    }
    return state;
  }

  #put(state: WriterState, item: SetItem): void {
    const previous = state.set.put(item);
    if (previous !== null) this.#indexed(state, item, previous);
  }

  #indexed(state: WriterState, item: SetItem, previous: SetItem | undefined): void {
    if (previous !== undefined) state.dead.add(previous);
    const list = state.byVersion;
    const last = list[list.length - 1];
    if (last !== undefined && compareTimestamps(item, last) < 0) state.sorted = false;
    list.push(item);
    if (state.dead.size > 1024 && state.dead.size * 2 > list.length) {
      state.byVersion = list.filter((held) => !state.dead.has(held));
      state.dead.clear();
    }
  }

  #undo(state: WriterState, undo: ReadonlyArray<readonly [SetItem, SetItem | undefined]>): void {
    for (let i = undo.length - 1; i >= 0; i--) {
      const [item, previous] = undo[i] as [SetItem, SetItem | undefined];
      state.set.restore(item.key, previous);
    }
  }
}

/** True when every item's version lies in (`from`, `to`]: a range is all a signature is offered for. */
function inRange(items: readonly SetItem[], from: Timestamp, to: Timestamp): boolean {
  for (const item of items)
    if (compareTimestamps(item, from) <= 0 || compareTimestamps(item, to) > 0) return false;
  return true;
}

function sliceKey(at: SliceAt): string {
  return `${at.depth}/${at.index}`;
}
