import { ELEMENT_POSITION_BITS, emptySketch, type SketchElement, toggleItem } from './difference-sketch.js';
import { accumulate, combine, emptyFingerprint, type Fingerprint } from './fingerprint.js';
import { digestKey, itemDigestOf, keyPosition } from './item-digest.js';
import { LeafItems } from './leaf-items.js';
import {
  BRANCHING,
  digitAt,
  MAX_DEPTH,
  type PrefixRange,
  rangeContains,
  rangeSpan,
  rangeStart,
} from './prefix-range.js';

/** Items a leaf holds before it splits into 16 children (unless at {@link MAX_DEPTH}). */
const LEAF_CAPACITY = 32;

/** One item as the index reports it. */
export interface ReconcileItem {
  readonly key: string;
  /** The key's 52-bit position ({@link keyPosition}). */
  readonly position: number;
  /** The item's 128-bit digest lanes ({@link itemDigest}); a copy. */
  readonly digest: Uint32Array;
}

interface TrieNode {
  readonly fingerprint: Fingerprint;
  children: Array<TrieNode | undefined> | undefined;
  leaf: LeafItems | undefined;
}

function newLeaf(capacity = 4): TrieNode {
  return { fingerprint: emptyFingerprint(), children: undefined, leaf: new LeafItems(capacity) };
}

/**
 * The set of (key, version) items one peer holds, with range fingerprints kept incrementally
 * (Meyer 2022 §4.1: a tree whose nodes cache the sum of their subtree). It is a 16-ary trie
 * over key positions; every node holds the fingerprint of its subtree and leaves hold up to
 * 32 items, so `set`, `delete` and `fingerprint` touch one root-to-leaf path: O(log16 n)
 * nodes plus one leaf. Nothing is rebuilt per sync.
 */
export class ReconcileIndex {
  #root: TrieNode = newLeaf();
  readonly #sketch = emptySketch();

  /** Items held. */
  get count(): number {
    return this.#root.fingerprint.count;
  }

  /**
   * Inserts the item for `key`, or replaces its version. Setting the version a key already
   * has changes nothing.
   */
  set(key: string, version: Uint8Array): void {
    const keyDigest = digestKey(key);
    const position = keyDigest.position;
    const digest = itemDigestOf(keyDigest, version);
    const path: TrieNode[] = [];
    let node = this.#root;
    while (node.children !== undefined) {
      path.push(node);
      const digit = digitAt(position, path.length - 1);
      let child = node.children[digit];
      if (child === undefined) {
        child = newLeaf();
        node.children[digit] = child;
      }
      node = child;
    }
    path.push(node);
    const leaf = node.leaf!;
    const index = leaf.indexOf(position, key);
    if (index >= 0) {
      const old = leaf.digestAt(index).slice();
      if (sameLanes(old, digest)) return;
      leaf.replaceDigest(index, digest);
      toggleItem(this.#sketch, position, old[0]!, -1);
      toggleItem(this.#sketch, position, digest[0]!, 1);
      for (const step of path) {
        accumulate(step.fingerprint, old, -1);
        accumulate(step.fingerprint, digest, 1);
      }
      return;
    }
    leaf.push(position, key, digest);
    toggleItem(this.#sketch, position, digest[0]!, 1);
    for (const step of path) accumulate(step.fingerprint, digest, 1);
    if (leaf.size > LEAF_CAPACITY) split(node, path.length - 1);
  }

  /** Removes the item for `key`; true when there was one. */
  delete(key: string): boolean {
    const position = keyPosition(key);
    const path: TrieNode[] = [];
    let node: TrieNode | undefined = this.#root;
    while (node.children !== undefined) {
      path.push(node);
      node = node.children[digitAt(position, path.length - 1)];
      if (node === undefined) return false;
    }
    const leaf = node.leaf!;
    const index = leaf.indexOf(position, key);
    if (index < 0) return false;
    path.push(node);
    const digest = leaf.digestAt(index).slice();
    leaf.removeAt(index);
    toggleItem(this.#sketch, position, digest[0]!, -1);
    for (const step of path) accumulate(step.fingerprint, digest, -1);
    // Fold the highest branch that has become small back into one leaf, keeping nodes few.
    for (const step of path) {
      if (step.children !== undefined && step.fingerprint.count <= LEAF_CAPACITY / 2) {
        collapse(step);
        break;
      }
    }
    return true;
  }

  /** The fingerprint of the items in `range`: O(log16 n) nodes plus at most one leaf scan. */
  fingerprint(range: PrefixRange): Fingerprint {
    const start = rangeStart(range);
    let node = this.#root;
    for (let depth = 0; depth < range.depth; depth++) {
      if (node.children === undefined) return scan(node.leaf!, (p) => rangeContains(range, p));
      const child = node.children[digitAt(start, depth)];
      if (child === undefined) return emptyFingerprint();
      node = child;
    }
    return copy(node.fingerprint);
  }

  /**
   * The fingerprint of the items whose position lies in [lower, upper): whole subtrees are
   * added from their cached sums, so only the two boundary paths are descended.
   */
  fingerprintBetween(lower: number, upper: number): Fingerprint {
    const out = emptyFingerprint();
    between(this.#root, 0, 0, lower, upper, out);
    return out;
  }

  /** A copy of the whole set's difference sketch, kept incrementally. */
  sketch(): Uint32Array {
    return this.#sketch.slice();
  }

  /** The items a sketch element names: position prefix and item id both match. */
  itemsAt(element: SketchElement): ReconcileItem[] {
    const range = { depth: ELEMENT_POSITION_BITS / 4, prefix: element.position };
    return this.items(range).filter((item) => item.digest[0] === element.id);
  }

  /** The items in `range` (all items for the root range), in no particular order. */
  items(range: PrefixRange): ReconcileItem[] {
    const out: ReconcileItem[] = [];
    const start = rangeStart(range);
    let node: TrieNode | undefined = this.#root;
    for (let depth = 0; depth < range.depth && node.children !== undefined; depth++) {
      node = node.children[digitAt(start, depth)];
      if (node === undefined) return out;
    }
    collect(node, out, (p) => rangeContains(range, p));
    return out;
  }
}

function sameLanes(a: Uint32Array, b: Uint32Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

function copy(fingerprint: Fingerprint): Fingerprint {
  return { count: fingerprint.count, sum: fingerprint.sum.slice() };
}

function scan(leaf: LeafItems, keep: (position: number) => boolean): Fingerprint {
  const out = emptyFingerprint();
  for (let i = 0; i < leaf.size; i++) if (keep(leaf.positionAt(i))) accumulate(out, leaf.digestAt(i), 1);
  return out;
}

function collect(node: TrieNode, out: ReconcileItem[], keep: (position: number) => boolean): void {
  if (node.leaf !== undefined) {
    const leaf = node.leaf;
    for (let i = 0; i < leaf.size; i++) {
      const position = leaf.positionAt(i);
      if (keep(position)) out.push({ key: leaf.keyAt(i), position, digest: leaf.digestAt(i).slice() });
    }
    return;
  }
  for (const child of node.children!) if (child !== undefined) collect(child, out, keep);
}

function split(node: TrieNode, depth: number): void {
  if (depth >= MAX_DEPTH) return;
  const leaf = node.leaf!;
  // Size each child's arrays once, so a split never grows them item by item.
  const sizes = new Array<number>(BRANCHING).fill(0);
  for (let i = 0; i < leaf.size; i++) sizes[digitAt(leaf.positionAt(i), depth)]!++;
  const children: Array<TrieNode | undefined> = sizes.map((size) =>
    size === 0 ? undefined : newLeaf(Math.max(4, 2 ** Math.ceil(Math.log2(size + 1)))),
  );
  for (let i = 0; i < leaf.size; i++) {
    const position = leaf.positionAt(i);
    const child = children[digitAt(position, depth)]!;
    child.leaf!.push(position, leaf.keyAt(i), leaf.digestAt(i));
    accumulate(child.fingerprint, leaf.digestAt(i), 1);
  }
  node.leaf = undefined;
  node.children = children;
  for (const child of children)
    if (child !== undefined && child.leaf!.size > LEAF_CAPACITY) split(child, depth + 1);
}

function collapse(node: TrieNode): void {
  const items: ReconcileItem[] = [];
  collect(node, items, () => true);
  const leaf = new LeafItems(Math.max(4, items.length));
  for (const item of items) leaf.push(item.position, item.key, item.digest);
  node.children = undefined;
  node.leaf = leaf;
}

function between(
  node: TrieNode,
  depth: number,
  start: number,
  lower: number,
  upper: number,
  out: Fingerprint,
): void {
  const end = start + rangeSpan(depth);
  if (end <= lower || start >= upper) return;
  if (lower <= start && end <= upper) {
    combine(out, node.fingerprint);
    return;
  }
  if (node.leaf !== undefined) {
    combine(
      out,
      scan(node.leaf, (p) => p >= lower && p < upper),
    );
    return;
  }
  const span = rangeSpan(depth + 1);
  node.children!.forEach((child, digit) => {
    if (child !== undefined) between(child, depth + 1, start + digit * span, lower, upper, out);
  });
}
