import type { Sha256 } from '../ports/sha256.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { placeOf } from './key-place.js';

/**
 * One writer's latest write to one key, as its signed set holds it (ADR 0058): the key, the
 * write's version and the 16-byte digest of the value it wrote (or of its tombstone mark).
 * The writer is the set's owner, so it is not repeated.
 */
export interface SetItem {
  readonly key: string;
  readonly wall: number;
  readonly counter: number;
  readonly digest: Uint8Array;
}

/**
 * A leaf holds this many items before it splits by the next nibble of their keys' places: with
 * 16, a set of 100k keys hashed 54k nodes (a leaf of one or two items costs a hash call like a
 * full one); with 32, 8k, in less than half the time and memory.
 */
const LEAF_ITEMS = 32;
/** Bits of a key's place (`placeOf`) that put it in the tree. */
const PLACE_BITS = 48;
/** Nibbles of a place: past the last one, a leaf holds any number of items. */
export const MAX_DEPTH = PLACE_BITS / 4;

const LEAF_TAG = 0;
const BRANCH_TAG = 1;

interface Slot {
  /** The key's 48-bit place (`placeOf`): where the item sits. */
  readonly place: number;
  item: SetItem;
}

interface Leaf {
  readonly leaf: true;
  /** In tree order: by place, then by key. */
  slots: Slot[];
  hash: Uint8Array | undefined;
}

interface Branch {
  readonly leaf: false;
  /** By nibble; absent where no item's place has that nibble here. */
  readonly children: Array<TreeNode | undefined>;
  count: number;
  hash: Uint8Array | undefined;
}

type TreeNode = Leaf | Branch;

/**
 * A part of a writer's set: the items whose places start with the nibbles `index` spells in
 * `depth` nibbles (depth 0, index 0: the whole set).
 */
export interface SliceAt {
  readonly depth: number;
  readonly index: number;
}

/** One node of a {@link WriterSet.cut}: where it is and its hash. */
export interface CutNode {
  readonly at: SliceAt;
  readonly hash: Uint8Array;
}

/**
 * A writer's set of latest writes per key, hashed as a radix Merkle tree (ADR 0058) so that:
 * - the root depends only on the items, never on the order they were put in (the tree's shape
 *   is a function of the set: a node is a leaf while it holds at most 32 items);
 * - one changed item rehashes one leaf and the branches above it, not the set;
 * - a part of the set (a slice) can be checked against a signed root with the sibling hashes on
 *   its path, without the rest of the items.
 *
 * Hashes are computed when asked for ({@link WriterSet.root}), so a batch of puts rehashes each
 * touched node once.
 */
export class WriterSet {
  readonly #sha256: Sha256;
  readonly #placeOf: (key: string) => number;
  #root: TreeNode = emptyLeaf();
  /** The item the running put replaced (a field, not a result object per put). */
  #replaced: SetItem | undefined;

  /**
   * @param place where a key sits: {@link placeOf}, the protocol's; a test may crowd keys into
   * a few places to reach the deepest leaves.
   */
  constructor(sha256: Sha256, place: (key: string) => number = placeOf) {
    this.#sha256 = sha256;
    this.#placeOf = place;
  }

  /** Items in the set. */
  get size(): number {
    return this.#root.leaf ? this.#root.slots.length : this.#root.count;
  }

  /** The item for `key`, if the set holds one. */
  get(key: string): SetItem | undefined {
    const place = this.#placeOf(key);
    let node = this.#root;
    for (let depth = 0; !node.leaf; depth++) {
      const child = node.children[nibbleAt(place, depth)];
      if (child === undefined) return undefined;
      node = child;
    }
    return node.slots.find((slot) => slot.place === place && slot.item.key === key)?.item;
  }

  /**
   * Puts `item` as its key's latest write, unless the set already holds that key at the same or
   * a newer version (a writer's versions only grow, so an older item is stale news). Returns
   * the item it replaced, `undefined` when the key was new, or `null` when nothing changed.
   */
  put(item: SetItem): SetItem | undefined | null {
    return this.#place(item, false, this.#placeOf(item.key));
  }

  /** {@link WriterSet.put} for an item whose place (`placeOf` its key) the caller computed. */
  putAt(item: SetItem, place: number): SetItem | undefined | null {
    return this.#place(item, false, place);
  }

  /** Puts `previous` back for `key` (or removes the key when undefined): undoes a {@link WriterSet.put}. */
  restore(key: string, previous: SetItem | undefined): void {
    if (previous === undefined) this.remove(key);
    else this.#place(previous, true, this.#placeOf(key));
  }

  #place(item: SetItem, always: boolean, place: number): SetItem | undefined | null {
    this.#replaced = undefined;
    if (!this.#put(this.#root, 0, place, item, always)) return null;
    this.#root = splitIfFull(this.#root, 0);
    return this.#replaced;
  }

  /** Removes `key`'s item; returns it, or undefined when the set held none. */
  remove(key: string): SetItem | undefined {
    const place = this.#placeOf(key);
    const removed = this.#remove(this.#root, 0, place, key);
    if (removed !== undefined) this.#root = collapse(this.#root);
    return removed;
  }

  /** Every item, in tree order. */
  items(): SetItem[] {
    return this.itemsIn({ depth: 0, index: 0 });
  }

  /** The root hash (32 bytes): what the writer signs. */
  root(): Uint8Array {
    return this.#hash(this.#root, 0);
  }

  /** The items under `slice`, in tree order. */
  itemsIn(slice: SliceAt): SetItem[] {
    const items: SetItem[] = [];
    collect(this.#root, 0, slice, (slot) => items.push(slot.item));
    return items;
  }

  /**
   * The hash a tree holding exactly this set's items under `slice` has at that node: what a
   * slice's path leads up from. Computed from the items, whatever shape this tree has there.
   */
  sliceHash(slice: SliceAt): Uint8Array {
    // Where the tree has a node at the slice, its hash (kept, and reused for the root): a
    // node's shape is a function of its items, so it hashes as the slice's items alone would.
    let node = this.#root;
    let depth = 0;
    for (; depth < slice.depth && !node.leaf; depth++) {
      const child = node.children[nibbleOfIndex(slice, depth)];
      if (child === undefined) return hashLeaf(this.#sha256, []);
      node = child;
    }
    if (depth === slice.depth) return this.#hash(node, depth);
    const slots: Slot[] = [];
    collect(this.#root, 0, slice, (slot) => slots.push(slot));
    return hashSlots(this.#sha256, slots, slice.depth);
  }

  /**
   * The tree cut at `depth`: its non-empty nodes at that depth, and its leaves above it, in
   * tree order. They partition the set, and {@link rootFromCut} recomputes the root from their
   * hashes alone, so a checker who verified a cut against a signed root can then check each
   * part of the set alone against its node's hash.
   */
  cut(depth: number): CutNode[] {
    const nodes: CutNode[] = [];
    const walk = (node: TreeNode, at: number, index: number): void => {
      if (node.leaf || at === depth) {
        if (sizeOf(node) > 0) nodes.push({ at: { depth: at, index }, hash: this.#hash(node, at) });
        return;
      }
      node.children.forEach((child, nibble) => {
        if (child !== undefined) walk(child, at + 1, index * 16 + nibble);
      });
    };
    walk(this.#root, 0, 0);
    return nodes;
  }

  #put(node: TreeNode, depth: number, place: number, item: SetItem, always: boolean): boolean {
    if (node.leaf) {
      const at = slotIndex(node.slots, place, item.key);
      const held = node.slots[at];
      if (held !== undefined && held.place === place && held.item.key === item.key) {
        if (!always && compareVersion(held.item, item) >= 0) return false;
        this.#replaced = held.item;
        held.item = item;
      } else {
        node.slots.splice(at, 0, { place, item });
      }
      node.hash = undefined;
      return true;
    }
    const nibble = nibbleAt(place, depth);
    let child = node.children[nibble];
    if (child === undefined) {
      child = emptyLeaf();
      node.children[nibble] = child;
    }
    const before = sizeOf(child);
    if (!this.#put(child, depth + 1, place, item, always)) return false;
    const after = splitIfFull(child, depth + 1);
    node.children[nibble] = after;
    node.count += sizeOf(after) - before;
    node.hash = undefined;
    return true;
  }

  #remove(node: TreeNode, depth: number, place: number, key: string): SetItem | undefined {
    if (node.leaf) {
      const at = slotIndex(node.slots, place, key);
      const held = node.slots[at];
      if (held === undefined || held.place !== place || held.item.key !== key) return undefined;
      node.slots.splice(at, 1);
      node.hash = undefined;
      return held.item;
    }
    const nibble = nibbleAt(place, depth);
    const child = node.children[nibble];
    if (child === undefined) return undefined;
    const removed = this.#remove(child, depth + 1, place, key);
    if (removed === undefined) return undefined;
    node.count--;
    node.hash = undefined;
    if (sizeOf(child) === 0) node.children[nibble] = undefined;
    else node.children[nibble] = collapse(child);
    return removed;
  }

  #hash(node: TreeNode, depth: number): Uint8Array {
    if (node.hash !== undefined) return node.hash;
    let hash: Uint8Array;
    if (node.leaf) hash = hashLeaf(this.#sha256, node.slots);
    else {
      const children: Array<[number, Uint8Array]> = [];
      node.children.forEach((child, nibble) => {
        if (child !== undefined) children.push([nibble, this.#hash(child, depth + 1)]);
      });
      hash = hashBranch(this.#sha256, children);
    }
    node.hash = hash;
    return hash;
  }
}

/**
 * The root of the tree a cut was taken from (see {@link WriterSet.cut}), or undefined when the
 * nodes are not a cut of any tree: out of tree order, overlapping, or a node deeper than one
 * that holds it. A cut comes from a peer, so every node must be used exactly once: a node
 * left out of the root could carry a hash for forged items.
 */
export function rootFromCut(sha256: Sha256, nodes: readonly CutNode[]): Uint8Array | undefined {
  if (nodes.length === 0) return hashLeaf(sha256, []);
  let next = 0;
  const build = (depth: number, index: number): Uint8Array | undefined => {
    const node = nodes[next];
    if (node === undefined || node.at.depth > MAX_DEPTH || node.at.index >= 16 ** node.at.depth)
      return undefined;
    if (node.at.depth === depth) {
      if (node.at.index !== index) return undefined;
      next++;
      return node.hash;
    }
    if (node.at.depth < depth) return undefined;
    const children: Array<[number, Uint8Array]> = [];
    for (let nibble = 0; nibble < 16; nibble++) {
      const child = nodes[next];
      if (child === undefined || child.at.depth <= depth) break;
      const childIndex = index * 16 + nibble;
      if (Math.floor(child.at.index / 16 ** (child.at.depth - depth - 1)) !== childIndex) continue;
      const hash = build(depth + 1, childIndex);
      if (hash === undefined) return undefined;
      children.push([nibble, hash]);
    }
    return children.length === 0 ? undefined : hashBranch(sha256, children);
  };
  const root = build(0, 0);
  return next === nodes.length ? root : undefined;
}

/** The index of the slice at `depth` nibbles that a key at `place` falls in. */
export function sliceIndexAt(place: number, depth: number): number {
  return Math.floor(place / 2 ** (PLACE_BITS - 4 * depth));
}

function nibbleAt(place: number, depth: number): number {
  return Math.floor(place / 2 ** (PLACE_BITS - 4 - 4 * depth)) % 16;
}

/** The nibble `slice` takes at `depth` (< slice.depth). */
function nibbleOfIndex(slice: SliceAt, depth: number): number {
  return Math.floor(slice.index / 16 ** (slice.depth - 1 - depth)) % 16;
}

function inSlice(place: number, slice: SliceAt): boolean {
  return slice.depth === 0 || Math.floor(place / 2 ** (PLACE_BITS - 4 * slice.depth)) === slice.index;
}

function compareVersion(a: SetItem, b: SetItem): number {
  return a.wall - b.wall || a.counter - b.counter;
}

/** Where a slot for (`place`, `key`) is or would go in tree order. */
function slotIndex(slots: readonly Slot[], place: number, key: string): number {
  let low = 0;
  let high = slots.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const slot = slots[middle] as Slot;
    if (slot.place < place || (slot.place === place && slot.item.key < key)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A leaf over the limit becomes a branch (recursively, for items sharing more nibbles). */
function splitIfFull(node: TreeNode, depth: number): TreeNode {
  if (!node.leaf || node.slots.length <= LEAF_ITEMS || depth >= MAX_DEPTH) return node;
  return buildNode(node.slots, depth);
}

function emptyLeaf(): Leaf {
  return { leaf: true, slots: [], hash: undefined };
}

function sizeOf(node: TreeNode): number {
  return node.leaf ? node.slots.length : node.count;
}

/** The node a set of slots (in tree order) makes at `depth`. */
function buildNode(slots: Slot[], depth: number): TreeNode {
  if (slots.length <= LEAF_ITEMS || depth >= MAX_DEPTH) return { leaf: true, slots, hash: undefined };
  const children: Array<TreeNode | undefined> = new Array(16).fill(undefined);
  for (const [nibble, group] of groupByNibble(slots, depth)) children[nibble] = buildNode(group, depth + 1);
  return { leaf: false, children, count: slots.length, hash: undefined };
}

/** A branch that fell to the leaf limit becomes a leaf again: the shape stays a function of the set. */
function collapse(node: TreeNode): TreeNode {
  if (node.leaf || node.count > LEAF_ITEMS) return node;
  const slots: Slot[] = [];
  collect(node, 0, { depth: 0, index: 0 }, (slot) => slots.push(slot));
  return { leaf: true, slots, hash: undefined };
}

function groupByNibble(slots: readonly Slot[], depth: number): Map<number, Slot[]> {
  const groups = new Map<number, Slot[]>();
  for (const slot of slots) {
    const nibble = nibbleAt(slot.place, depth);
    let group = groups.get(nibble);
    if (group === undefined) {
      group = [];
      groups.set(nibble, group);
    }
    group.push(slot);
  }
  return groups;
}

/** Calls `found` with each slot under `slice`, in tree order (a loop, not a generator: a catch-up reads every slot). */
function collect(node: TreeNode, depth: number, slice: SliceAt, found: (slot: Slot) => void): void {
  if (node.leaf) {
    for (const slot of node.slots) if (inSlice(slot.place, slice)) found(slot);
    return;
  }
  if (depth < slice.depth) {
    const child = node.children[nibbleOfIndex(slice, depth)];
    if (child !== undefined) collect(child, depth + 1, slice, found);
    return;
  }
  for (const child of node.children) if (child !== undefined) collect(child, depth + 1, slice, found);
}

/** The hash of the node that `slots` (in tree order, all under one node at `depth`) make. */
function hashSlots(sha256: Sha256, slots: Slot[], depth: number): Uint8Array {
  if (slots.length <= LEAF_ITEMS || depth >= MAX_DEPTH) return hashLeaf(sha256, slots);
  const children: Array<[number, Uint8Array]> = [];
  for (const [nibble, group] of [...groupByNibble(slots, depth)].sort(([a], [b]) => a - b))
    children.push([nibble, hashSlots(sha256, group, depth + 1)]);
  return hashBranch(sha256, children);
}

const scratch = new ByteWriter(1024);

/**
 * A leaf: its tag, then per item in tree order its key (length-prefixed UTF-8), version and
 * value digest. The key and version are hashed, not only the digest: a ghost's key is taken
 * from a peer, and must be the key the writer wrote.
 */
function hashLeaf(sha256: Sha256, slots: readonly Slot[]): Uint8Array {
  scratch.clear();
  scratch.writeU8(LEAF_TAG);
  for (const { item } of slots) {
    scratch.writeString(item.key);
    scratch.writeU32(Math.floor(item.wall / 2 ** 32)).writeU32(item.wall >>> 0);
    scratch.writeU32(item.counter).writeRaw(item.digest);
  }
  return sha256(scratch.written());
}

/** A branch: its tag, a 16-bit mask of the non-empty children, then their hashes in nibble order. */
function hashBranch(sha256: Sha256, children: ReadonlyArray<readonly [number, Uint8Array]>): Uint8Array {
  let mask = 0;
  for (const [nibble] of children) mask |= 1 << nibble;
  scratch.clear();
  scratch
    .writeU8(BRANCH_TAG)
    .writeU8(mask >>> 8)
    .writeU8(mask & 0xff);
  for (const [, hash] of children) scratch.writeRaw(hash);
  return sha256(scratch.written());
}
