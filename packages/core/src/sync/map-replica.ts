import { firstAfter } from '../clock/first-after.js';
import {
  compareTimestamps,
  compareVersions,
  type Timestamp,
  type Version,
  ZERO_TIMESTAMP,
} from '../clock/timestamp.js';
import { LwwMap, type MapEntry, mapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { nobleSha256, type Sha256 } from '../ports/sha256.js';
import type { MapClock, MapDelta, MapGhost, MapProof } from '../protocol/sync-messages.js';
import { valueDigest } from '../security/map-set-proofs.js';
import { bytesEqual } from '../storage/bytes.js';
import { placeOf } from './key-place.js';
import type { StoredEntries } from './stored-entries.js';
import type { Lacking } from './synced-object.js';
import { type SetCheck, type SetSignature, VerifiedSets } from './verified-sets.js';
import { type CutNode, type SetItem, sliceIndexAt, WriterSet } from './writer-set.js';

/** What one peer should receive for one map: the proofs, and the entries and ghosts they cover. */
export interface MapDeltaPlan {
  readonly proofs: MapProof[];
  readonly entries: MapEntry[];
  readonly ghosts: MapGhost[];
}

/** What {@link MapReplica.prove} found in a delta. */
export interface ProvenDelta {
  /** Per entry of the delta: true when it is its writer's words (proven, or an item held). */
  readonly authentic: boolean[];
  /** Writers whose proofs failed: forged or broken (report them). */
  readonly refused: NodeId[];
  /** Ghosts of the sets proven: each must be confirmed by a newer entry once entries merged. */
  readonly ghosts: MapGhost[];
  /** True when `self`'s own writes came back in the delta and joined its set: sign it again. */
  readonly reclaimed: boolean;
  /** True when a part of a catch-up came before its cut: the delta is worth merging again after. */
  readonly early: boolean;
  /** True when a cut started or moved a catch-up: parts that came early can be judged now. */
  readonly cut: boolean;
}

/** A ghost waiting for the newer entry its sender said replaced it, since `since` (ms). */
interface Owed extends MapGhost {
  readonly since: number;
}

/** Above this many items, a writer's answer goes as a catch-up by slices. */
const WHOLE_ITEMS = 2048;
/**
 * A cut is chosen deep enough that a part holds at most about this many items (16 parts at
 * least): a part's items go in version order, and with 256 parts of 400 a newcomer to 100k keys
 * got every 256th write in a row, which compressed to 1.36 MB instead of 1.05 MB.
 */
const PART_ITEMS = 16384;

/** The digest of a tombstone: every replica knows it, so a purged tombstone can be sent again from its item. */
const TOMBSTONE_DIGEST = valueDigest(nobleSha256, undefined);

/**
 * An LWW map plus, per writer, the set of its latest writes this replica has verified against
 * the writer's signature (ADR 0058): what a digest's clock per writer means ("I hold every item
 * of the writer's set up to this version, each as its entry or as a ghost, replaced by a newer
 * write") and what an answer is planned from.
 *
 * Entries reach the map only when their writer's signature covers them (or its set here holds
 * them already): a peer cannot make this replica show a write in another's name, and an answer
 * that leaves an item out hashes to another root, so none can be skipped. A ghost is a write
 * the sender says was replaced; it is confirmed when this replica holds the newer entry, or
 * when the writer the sender named as replacing it has proven that write here. A ghost the
 * named writer's set proves false shows the sender lied: the ghost's writer is fetched again.
 */
export class MapReplica {
  readonly map: LwwMap;
  readonly sets: VerifiedSets;
  readonly #sha256: Sha256;
  /** Ghosts waiting for a newer entry, by key, with when they began to wait. */
  readonly #owed = new Map<string, Owed[]>();
  /** Per writer, its items by part of the cut its last catch-up answer was planned from. */
  readonly #parts = new Map<NodeId, { signed: SetSignature; depth: number; byNode: SetItem[][] }>();

  /**
   * @param stored where the map is kept when not in memory (ADR 0050).
   * @param ghosted told when another writer's entry replaces one whose writer's set still holds
   * it: the item is a ghost now, and must be kept (stored) for that set.
   */
  constructor(
    sha256: Sha256 = nobleSha256,
    stored?: StoredEntries,
    ghosted?: (writer: NodeId, item: SetItem) => void,
  ) {
    this.#sha256 = sha256;
    this.sets = new VerifiedSets(sha256);
    const observe = (entry: MapEntry, replaced: MapEntry | undefined): void => {
      stored?.changed();
      // A writer replacing its own entry replaces its item too (a peer's, proven before it is
      // applied; this node's own, when durable).
      if (ghosted !== undefined && replaced !== undefined && replaced.writer !== entry.writer) {
        const item = this.sets.itemOf(replaced.writer, replaced.key);
        if (item !== undefined && compareTimestamps(item, replaced) === 0) ghosted(replaced.writer, item);
      }
      if (this.#owed.size > 0) this.#confirm(entry);
    };
    if (stored === undefined) this.map = new LwwMap(observe);
    else {
      this.map = new LwwMap(observe, stored, stored.counts);
      stored.countFrom(() => ({ live: this.map.size, total: this.map.size + this.map.tombstones }));
    }
  }

  /** The digest of a value (its encoded bytes `source[start, end)`, none for a tombstone). */
  digestOf(source: Uint8Array | undefined, start = 0, end = 0): Uint8Array {
    return valueDigest(this.#sha256, source, start, end);
  }

  /** The version up to which this replica holds `writer`'s set (zero when none). */
  clockOf(writer: NodeId): Timestamp {
    return this.sets.clockOf(writer);
  }

  /** Every writer's clock, sorted by writer: the digest. */
  clocks(): Array<[NodeId, MapClock]> {
    const clocks: Array<[NodeId, MapClock]> = [];
    for (const writer of this.sets.writers()) {
      const clock = this.sets.clockOf(writer);
      const parts = this.sets.partsOf(writer);
      if (parts !== undefined) clocks.push([writer, { wall: clock.wall, counter: clock.counter, parts }]);
      else if (clock.wall > 0 || clock.counter > 0)
        clocks.push([writer, { wall: clock.wall, counter: clock.counter }]);
    }
    return clocks.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The writers a peer with `remote` clocks holds more of than this replica. */
  lacking(remote: ReadonlyArray<readonly [NodeId, MapClock]>): Lacking {
    let writers = 0;
    for (const [writer, theirs] of remote) if (compareTimestamps(theirs, this.clockOf(writer)) > 0) writers++;
    return { entries: 0, writers };
  }

  /**
   * Plans what a peer whose digest holds `remote` clocks, for writers in [`from`, `to`), lacks:
   * per writer whose signed set here is ahead of the peer's clock, its items newer than that
   * clock with the signature (a catch-up by slices when they are many). A writer whose set here
   * is a mix no signature covers (a catch-up under way) is not offered. With `limit`, writers
   * (and parts of a catch-up) are planned until that many entries and ghosts are reached.
   */
  planDelta(
    remote: ReadonlyMap<NodeId, MapClock>,
    from: string,
    to: string | null,
    limit = Number.POSITIVE_INFINITY,
  ): MapDeltaPlan {
    const plan: MapDeltaPlan = { proofs: [], entries: [], ghosts: [] };
    const writers = [...this.sets.writers()]
      .filter((writer) => writer >= from && (to === null || writer < to))
      .sort();
    for (const writer of writers) {
      if (this.#planWriter(plan, writer, remote.get(writer) ?? ZERO_TIMESTAMP, limit)) break;
    }
    return plan;
  }

  /**
   * What a push of `writer`'s items newer than `after` carries: this node's own writes once
   * durable, or a peer's just proven here, pushed on. `wholeOnly`: nothing when they are more
   * than one whole proof takes (a catch-up: a relay leaves those to anti-entropy).
   */
  planFrom(writer: NodeId, after: Timestamp, wholeOnly = false): MapDeltaPlan {
    const plan: MapDeltaPlan = { proofs: [], entries: [], ghosts: [] };
    const known = { wall: after.wall, counter: after.counter };
    this.#planWriter(plan, writer, known, Number.POSITIVE_INFINITY, wholeOnly);
    return plan;
  }

  /**
   * Checks a delta's proofs (`digests`: each entry's value digest) and says which entries are
   * their writers' words. Writers in `refused` (over limits) are passed over. `self`'s own
   * whole set, sent back by a peer and signed by itself, is taken back where its own set here
   * does not extend it (a restored copy of this node). Nothing is merged: the caller applies
   * the authentic entries, then {@link MapReplica.settle}s the ghosts.
   */
  prove(
    delta: MapDelta,
    digests: readonly Uint8Array[],
    check: SetCheck,
    refused: ReadonlySet<NodeId>,
    self?: NodeId,
  ): ProvenDelta {
    let reclaimed = false;
    let early = false;
    let cut = false;
    const { entries, ghosts } = delta;
    const authentic = new Array<boolean>(entries.length).fill(false);
    const failed: NodeId[] = [];
    const proven: MapGhost[] = [];
    let entry = 0;
    let ghost = 0;
    for (const proof of delta.proofs) {
      const writer = proof.writer;
      if (proof.kind === 'cut') {
        const result = refused.has(writer) ? 'skipped' : this.sets.acceptCut(proof, check);
        if (result === 'refused') failed.push(writer);
        if (result === 'proven') cut = true;
        continue;
      }
      const entryEnd = entry + proof.entries;
      const ghostEnd = ghost + proof.ghosts;
      const items: SetItem[] = [];
      let foreign = false;
      for (let i = entry; i < entryEnd; i++) {
        const held = entries[i] as MapEntry;
        if (held.writer !== writer) foreign = true;
        items.push({
          key: held.key,
          wall: held.wall,
          counter: held.counter,
          digest: digests[i] as Uint8Array,
        });
      }
      for (let i = ghost; i < ghostEnd; i++) {
        const { key, wall, counter, digest, writer: of } = ghosts[i] as MapGhost;
        if (of !== writer) foreign = true;
        items.push({ key, wall, counter, digest });
      }
      const start = entry;
      const firstGhost = ghost;
      entry = entryEnd;
      ghost = ghostEnd;
      if (refused.has(writer)) continue;
      let result = foreign
        ? 'refused'
        : proof.kind === 'whole'
          ? this.sets.accept({ writer, from: proof.from, signed: proof.signed, items }, check)
          : this.sets.acceptSlice({ writer, version: proof.version, at: proof.at, items });
      // This node's own set as a peer holds it, from the start, that its own set here does not
      // extend: written by a copy of this node (a restored backup, ADR 0057 for streams). Its
      // signature proves them this node's words: they are taken back, so the set this node signs
      // next extends what its peers hold.
      if (
        result !== 'proven' &&
        !foreign &&
        writer === self &&
        proof.kind === 'whole' &&
        this.#reclaim(proof, items, check)
      ) {
        result = 'proven';
        reclaimed = true;
      }
      if (result === 'refused') failed.push(writer);
      if (result === 'early') early = true;
      if (result !== 'proven') continue;
      for (let i = start; i < entryEnd; i++) authentic[i] = true;
      for (let i = firstGhost; i < ghostEnd; i++) proven.push(ghosts[i] as MapGhost);
    }
    // Entries no proof here covered are still their writer's words when its set here holds
    // them: an owed ghost's value, or what a skipped proof resent.
    for (let i = 0; i < entries.length; i++) {
      if (authentic[i]) continue;
      const held = entries[i] as MapEntry;
      const item = this.sets.itemOf(held.writer, held.key);
      authentic[i] =
        item !== undefined &&
        item.wall === held.wall &&
        item.counter === held.counter &&
        bytesEqual(item.digest, digests[i] as Uint8Array);
    }
    return { authentic, refused: failed, ghosts: proven, reclaimed, early, cut };
  }

  /**
   * Notes the ghosts of sets just proven (after their delta's entries merged, at `now` ms) and
   * judges every ghost waiting whose replacing writer has now proven enough. Returns the writers
   * whose ghosts proved false: their sets are dropped here, to be fetched again (report them).
   */
  settle(ghosts: readonly MapGhost[], now: number): NodeId[] {
    for (const ghost of ghosts) {
      if (this.#replaced(ghost)) continue;
      const waiting = this.#owed.get(ghost.key);
      const owed: Owed = { ...ghost, since: now };
      if (waiting === undefined) this.#owed.set(ghost.key, [owed]);
      else waiting.push(owed);
    }
    const liars = new Set<NodeId>();
    for (const [key, waiting] of this.#owed) {
      const still = waiting.filter((ghost) => {
        if (this.#replaced(ghost)) return false;
        // The write named as the replacement must be newer than the ghost: naming the ghost
        // itself, or an older write, would make a live write look replaced.
        const by = ghost.by !== undefined && compareVersions(ghost.by, ghost) > 0 ? ghost.by : undefined;
        if (by !== undefined && compareTimestamps(this.clockOf(by.writer), by) < 0) return true;
        // The named writer's set here reaches the replacing write: it must hold it (or a newer
        // write of that key). If it does, this replica will hold the entry once that item is
        // (its own ghost waits in turn); if not, or if no newer write was named, the ghost's
        // sender made it up.
        const item = by === undefined ? undefined : this.sets.itemOf(by.writer, key);
        if (item !== undefined && compareTimestamps(item, by as Version) >= 0) return false;
        liars.add(ghost.writer);
        return false;
      });
      if (still.length === 0) this.#owed.delete(key);
      else this.#owed.set(key, still);
    }
    for (const writer of liars) this.resetClock(writer);
    return [...liars];
  }

  /**
   * Ghosts still waiting since before `before` (ms): their replacing write never came (a sender
   * can name a write far ahead of anything its writer did). Their writers' sets are dropped
   * here, to be fetched again, with every peer's help; returns those writers.
   */
  expireOwed(before: number): NodeId[] {
    const expired = new Set<NodeId>();
    for (const waiting of this.#owed.values())
      for (const ghost of waiting) if (ghost.since < before) expired.add(ghost.writer);
    if (expired.size === 0) return [];
    for (const [key, waiting] of this.#owed) {
      const still = waiting.filter((ghost) => !expired.has(ghost.writer));
      if (still.length === 0) this.#owed.delete(key);
      else this.#owed.set(key, still);
    }
    for (const writer of expired) this.resetClock(writer);
    return [...expired];
  }

  /** Ghosts waiting for a newer entry: a replica with none shows every key its sets prove. */
  get owed(): number {
    let count = 0;
    for (const waiting of this.#owed.values()) count += waiting.length;
    return count;
  }

  /**
   * Takes this node's own durable writes (with their value digests) into its set and returns
   * the root to sign at `version`; {@link MapReplica.ownSigned} keeps the signature.
   */
  addOwn(self: NodeId, items: readonly SetItem[], version: Timestamp): Uint8Array {
    return this.sets.addOwn(self, items, version);
  }

  /** Keeps this node's signature over its own set. */
  ownSigned(self: NodeId, signed: SetSignature): void {
    this.sets.signed(self, signed);
  }

  /** Applies an entry loaded from storage, with its value digest, as its writer's set held it. */
  load(entry: MapEntry, digest: Uint8Array): void {
    this.map.apply(entry);
    this.sets.load(entry.writer, { key: entry.key, wall: entry.wall, counter: entry.counter, digest });
  }

  /** Puts a ghost loaded from storage into its writer's set. */
  loadGhost(writer: NodeId, item: SetItem): void {
    this.sets.load(writer, item);
  }

  /**
   * Every entry, ghost and signature is loaded: a writer whose set does not hash to the root its
   * stored signature covers (a store from before, or damaged) is dropped, to be fetched again.
   */
  loaded(signatures: ReadonlyMap<NodeId, SetSignature>, check: SetCheck): NodeId[] {
    const dropped: NodeId[] = [];
    for (const writer of [...this.sets.writers()]) {
      const signed = signatures.get(writer);
      const root = this.sets.setOf(writer)?.root();
      if (signed !== undefined && root !== undefined && check(writer, signed, root))
        this.sets.signed(writer, signed);
      else {
        this.sets.reset(writer);
        dropped.push(writer);
      }
    }
    return dropped;
  }

  /** Forgets one key's entry for good (compaction): its writer's set keeps the item. */
  purge(key: string): void {
    this.map.purge(key);
  }

  /** Forgets what this replica knew of `writer`'s set: the next sync fetches it again. */
  resetClock(writer: NodeId): void {
    this.sets.reset(writer);
  }

  /** Takes a whole set of this node's own back when `items` alone hash to its signed root. */
  #reclaim(proof: Extract<MapProof, { kind: 'whole' }>, items: readonly SetItem[], check: SetCheck): boolean {
    if (proof.from.wall !== 0 || proof.from.counter !== 0) return false;
    const alone = new WriterSet(this.#sha256);
    for (const item of items) alone.put(item);
    if (check(proof.writer, proof.signed, alone.root()) !== true) return false;
    const own = this.sets.clockOf(proof.writer);
    const version = compareTimestamps(proof.signed.version, own) > 0 ? proof.signed.version : own;
    this.sets.addOwn(proof.writer, items, version);
    return true;
  }

  /** Plans one writer; returns true when `limit` is reached. */
  #planWriter(
    plan: MapDeltaPlan,
    writer: NodeId,
    known: MapClock,
    limit: number,
    wholeOnly = false,
  ): boolean {
    const signed = this.sets.signatureOf(writer);
    if (signed === undefined || compareTimestamps(known, signed.version) >= 0) return false;
    // At most one more than a whole answer takes: past it, the items are read per cut node.
    const items: SetItem[] = [];
    for (const item of this.sets.newerThan(writer, known)) if (items.push(item) > WHOLE_ITEMS) break;
    if (items.length === 0) return false;
    if (items.length <= WHOLE_ITEMS) {
      const [entries, ghosts] = this.#split(plan, writer, items);
      plan.proofs.push({
        kind: 'whole',
        writer,
        from: { wall: known.wall, counter: known.counter },
        signed,
        entries,
        ghosts,
      });
      return plan.entries.length + plan.ghosts.length >= limit;
    }
    const set = this.sets.setOf(writer);
    if (set === undefined || wholeOnly) return false;
    const depth = Math.min(3, Math.max(1, Math.ceil(Math.log(set.size / PART_ITEMS) / Math.log(16))));
    const nodes = set.cut(depth);
    // A peer catching up from this same cut holds it, and says which parts it has proven.
    const parts = known.parts;
    const sameCut = parts !== undefined && compareTimestamps(parts.version, signed.version) === 0;
    if (!sameCut) plan.proofs.push({ kind: 'cut', writer, signed, nodes });
    const byNode = this.#partsOf(writer, signed, depth, nodes);
    // Parts until the limit: the peer's next digest says which it has proven, and the next
    // answer goes on from there.
    for (let at = 0; at < nodes.length; at++) {
      if (sameCut && ((parts.done[at >> 3] ?? 0) & (1 << (at & 7))) !== 0) continue;
      const all = byNode[at] as SetItem[];
      const part = all.slice(firstAfter(all, known));
      if (part.length === 0) continue;
      const [entries, ghosts] = this.#split(plan, writer, part);
      const node = nodes[at] as CutNode;
      plan.proofs.push({ kind: 'slice', writer, version: signed.version, at: node.at, entries, ghosts });
      if (plan.entries.length + plan.ghosts.length >= limit) return true;
    }
    return plan.entries.length + plan.ghosts.length >= limit;
  }

  /**
   * `writer`'s items per node of its cut at `depth` (`nodes`), each part in version order:
   * consecutive writes stay next to each other on the wire, and compress. Kept while `signed`
   * is the writer's signature here (the set unchanged): a newcomer asks for the same cut once
   * a round, and sorting each node's items read from the tree took a third of its catch-up.
   */
  #partsOf(writer: NodeId, signed: SetSignature, depth: number, nodes: readonly CutNode[]): SetItem[][] {
    const kept = this.#parts.get(writer);
    if (kept !== undefined && kept.signed === signed && kept.depth === depth) return kept.byNode;
    const nodeAtIndex = new Int32Array(16 ** depth);
    nodes.forEach((node, at) => {
      const span = 16 ** (depth - node.at.depth);
      nodeAtIndex.fill(at, node.at.index * span, (node.at.index + 1) * span);
    });
    const byNode: SetItem[][] = nodes.map(() => []);
    for (const item of this.sets.newerThan(writer, ZERO_TIMESTAMP))
      (byNode[nodeAtIndex[sliceIndexAt(placeOf(item.key), depth)] as number] as SetItem[]).push(item);
    this.#parts.set(writer, { signed, depth, byNode });
    return byNode;
  }

  /**
   * Adds `items` of `writer` to the plan: the entry where the map holds it, a tombstone where the
   * map purged it (its digest says it was one), else a ghost naming the entry that replaced it.
   * Returns how many entries and ghosts were added.
   */
  #split(plan: MapDeltaPlan, writer: NodeId, items: readonly SetItem[]): [number, number] {
    let entries = 0;
    let ghosts = 0;
    for (const item of items) {
      const entry = this.map.entry(item.key);
      if (entry !== undefined && entry.writer === writer && compareTimestamps(entry, item) === 0) {
        plan.entries.push(entry);
        entries++;
      } else if (entry === undefined && bytesEqual(item.digest, TOMBSTONE_DIGEST)) {
        plan.entries.push(mapEntry(item.key, undefined, item.wall, item.counter, writer));
        entries++;
      } else {
        const ghost = { key: item.key, wall: item.wall, counter: item.counter, writer };
        const by: Version | undefined =
          entry !== undefined && compareVersions(entry, ghost) > 0
            ? { wall: entry.wall, counter: entry.counter, writer: entry.writer }
            : this.#replacer(ghost);
        plan.ghosts.push({
          key: item.key,
          wall: item.wall,
          counter: item.counter,
          writer,
          digest: item.digest,
          by,
        });
        ghosts++;
      }
    }
    return [entries, ghosts];
  }

  /**
   * The write that replaced `ghost` where the map holds none newer (this replica waits for it
   * too, or purged the tombstone that did): the one its own waiting ghost names, else the
   * newest write of the key in another writer's set here.
   */
  #replacer(ghost: Version & { readonly key: string }): Version | undefined {
    const named = this.#owed.get(ghost.key)?.find((owed) => owed.writer === ghost.writer)?.by;
    if (named !== undefined) return named;
    let newest: Version | undefined;
    for (const writer of this.sets.writers()) {
      if (writer === ghost.writer) continue;
      const item = this.sets.itemOf(writer, ghost.key);
      if (item === undefined) continue;
      const version = { wall: item.wall, counter: item.counter, writer };
      if (
        compareVersions(version, ghost) > 0 &&
        (newest === undefined || compareVersions(version, newest) > 0)
      )
        newest = version;
    }
    return newest;
  }

  /** True when the map holds an entry newer than `ghost` (so its value is not needed). */
  #replaced(ghost: MapGhost): boolean {
    const entry = this.map.entry(ghost.key);
    return entry !== undefined && compareVersions(entry, ghost) > 0;
  }

  /** A merged entry may confirm ghosts waiting on its key. */
  #confirm(entry: MapEntry): void {
    const waiting = this.#owed.get(entry.key);
    if (waiting === undefined) return;
    const still = waiting.filter((ghost) => compareVersions(entry, ghost) <= 0);
    if (still.length === 0) this.#owed.delete(entry.key);
    else this.#owed.set(entry.key, still);
  }
}
