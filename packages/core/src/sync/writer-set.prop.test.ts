import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleSha256 } from '../ports/sha256.js';
import { placeOf } from './key-place.js';
import { type CutNode, rootFromCut, type SetItem, WriterSet } from './writer-set.js';

/**
 * Places in 4 values: many keys share a place, so trees reach the deepest level and leaves
 * there hold more than 32 items. The place stays a function of the key, which is all the shape
 * and slice properties need.
 */
const crowded = (key: string): number => placeOf(key) % 4;

const places = fc.constantFrom<[string, (key: string) => number]>(['murmur', placeOf], ['crowded', crowded]);

const itemArb = (keys: number): fc.Arbitrary<SetItem> =>
  fc.record({
    key: fc.integer({ min: 0, max: keys - 1 }).map((k) => `k${k}`),
    wall: fc.integer({ min: 1, max: 40 }),
    counter: fc.integer({ min: 0, max: 2 }),
    digest: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  });

/** Sets around the leaf limit (32) as often as small and large ones: where shapes change. */
const itemsArb = fc.oneof(
  fc.array(itemArb(24), { maxLength: 60 }),
  fc.array(itemArb(48), { minLength: 28, maxLength: 80 }),
  fc.array(itemArb(400), { maxLength: 500 }),
);

/** The set a sequence of puts leaves: per key, the item at the newest version (the first put of it wins ties). */
function latest(items: readonly SetItem[]): Map<string, SetItem> {
  const set = new Map<string, SetItem>();
  for (const item of items) {
    const held = set.get(item.key);
    if (
      held === undefined ||
      held.wall < item.wall ||
      (held.wall === item.wall && held.counter < item.counter)
    )
      set.set(item.key, item);
  }
  return set;
}

function build(place: (key: string) => number, items: Iterable<SetItem>): WriterSet {
  const set = new WriterSet(nobleSha256, place);
  for (const item of items) set.put(item);
  return set;
}

describe('WriterSet', () => {
  it('holds each key at its newest version, and its root depends only on that set, not on the order of puts', () => {
    fc.assert(
      fc.property(places, itemsArb, fc.integer(), ([, place], items, seed) => {
        const tree = build(place, items);
        const expected = latest(items);
        expect(tree.size).toBe(expected.size);
        for (const [key, item] of expected) expect(tree.get(key)).toBe(item);
        // The same set put in another order, and put once per key: the same root.
        const shuffled = fc.sample(
          fc.shuffledSubarray([...expected.values()], { minLength: expected.size }),
          {
            numRuns: 1,
            seed,
          },
        )[0] as SetItem[];
        expect(build(place, shuffled).root()).toEqual(tree.root());
        expect([...tree.items()].length).toBe(expected.size);
      }),
    );
  });

  it('removing items leaves the root of a set built without them (the tree shrinks back to the same shape)', () => {
    fc.assert(
      fc.property(places, itemsArb, fc.array(fc.nat(), { maxLength: 40 }), ([, place], items, picks) => {
        const tree = build(place, items);
        const expected = latest(items);
        const keys = [...expected.keys()];
        for (const pick of picks) {
          if (keys.length === 0) break;
          const [key] = keys.splice(pick % keys.length, 1) as [string];
          expect(tree.remove(key)).toBe(expected.get(key));
          expect(tree.remove(key)).toBeUndefined();
          expected.delete(key);
        }
        expect(tree.root()).toEqual(build(place, expected.values()).root());
      }),
    );
  });

  it('a changed item changes the root, and an older one changes nothing', () => {
    fc.assert(
      fc.property(fc.array(itemArb(50), { minLength: 1, maxLength: 80 }), fc.nat(), (items, pick) => {
        const tree = build(placeOf, items);
        const before = tree.root();
        const target = [...tree.items()][pick % tree.size] as SetItem;
        expect(tree.put({ ...target, wall: target.wall - 1 })).toBeNull();
        expect(tree.root()).toEqual(before);
        const digest = target.digest.slice();
        digest[0] = ((digest[0] as number) + 1) & 0xff;
        expect(tree.put({ ...target, counter: target.counter + 1, digest })).toBe(target);
        expect(tree.root()).not.toEqual(before);
        tree.restore(target.key, target);
        expect(tree.root()).toEqual(before);
      }),
    );
  });

  it("a cut makes the root, and each of its parts hashes as a tree of only that part's items would", () => {
    fc.assert(
      fc.property(places, itemsArb, fc.integer({ min: 0, max: 3 }), ([, place], items, depth) => {
        const tree = build(place, items);
        const cut = tree.cut(depth);
        expect(rootFromCut(nobleSha256, cut)).toEqual(tree.root());
        let covered = 0;
        for (const node of cut) {
          expect(node.at.depth).toBeLessThanOrEqual(depth);
          const part = tree.itemsIn(node.at);
          covered += part.length;
          // A checker that holds only the part's items computes the same hash.
          expect(build(place, part).sliceHash(node.at)).toEqual(node.hash);
        }
        expect(covered).toBe(tree.size);
      }),
    );
  });

  it('a cut with a node left out, repeated, added, moved, deepened or out of order makes no root, or another', () => {
    fc.assert(
      fc.property(
        itemsArb,
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        fc.constantFrom('drop', 'repeat', 'append', 'move', 'deepen', 'swap', 'hash'),
        (items, depth, pick, change) => {
          const tree = build(placeOf, items);
          const cut = tree.cut(depth);
          fc.pre(cut.length >= 2);
          const at = pick % cut.length;
          const node = cut[at] as CutNode;
          const forged = [...cut];
          if (change === 'drop') forged.splice(at, 1);
          if (change === 'repeat') forged.splice(at, 0, node);
          // A node the root does not use, carrying a hash a forger chose.
          if (change === 'append') forged.push({ at: { depth: 3, index: 4095 }, hash: new Uint8Array(32) });
          if (change === 'move')
            forged[at] = { ...node, at: { ...node.at, index: (node.at.index + 1) % 16 ** node.at.depth } };
          if (change === 'deepen')
            forged[at] = { ...node, at: { depth: node.at.depth + 1, index: node.at.index * 16 } };
          if (change === 'swap') forged.splice(at, 2, ...forged.slice(at, at + 2).reverse());
          if (change === 'hash') forged[at] = { ...node, hash: nobleSha256(node.hash) };
          fc.pre(change !== 'swap' || at + 1 < cut.length);
          expect(rootFromCut(nobleSha256, forged)).not.toEqual(tree.root());
        },
      ),
    );
  });
});
