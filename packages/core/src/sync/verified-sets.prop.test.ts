import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import type { NodeId } from '../ids/node-id.js';
import { nobleSha256 } from '../ports/sha256.js';
import {
  type Acceptance,
  type ProvenItems,
  type SetCheck,
  type SetSignature,
  type SlicedItems,
  VerifiedSets,
} from './verified-sets.js';
import { type SetItem, WriterSet } from './writer-set.js';

const W = 'writer' as NodeId;

/** A writer's history: batches of writes, each batch signed at its last version. */
const historyArb = fc.array(
  fc.array(
    fc.record({
      key: fc.integer({ min: 0, max: 300 }).map((k) => `k${k}`),
      digest: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    }),
    { minLength: 1, maxLength: 60 },
  ),
  { minLength: 1, maxLength: 12 },
);

interface Signed {
  readonly version: Timestamp;
  readonly root: Uint8Array;
  readonly set: WriterSet;
}

/** Plays a history on the writer's side: the set after each batch and the root it signs. */
function play(batches: ReadonlyArray<ReadonlyArray<{ key: string; digest: Uint8Array }>>): Signed[] {
  const set = new WriterSet(nobleSha256);
  const signed: Signed[] = [];
  let wall = 0;
  for (const batch of batches) {
    for (const write of batch) set.put({ key: write.key, wall: ++wall, counter: 0, digest: write.digest });
    const copy = new WriterSet(nobleSha256);
    for (const item of set.items()) copy.put(item);
    signed.push({ version: { wall, counter: 0 }, root: set.root(), set: copy });
  }
  return signed;
}

/** Stands in for Ed25519: a signature is valid when it names a root the writer signed at that version. */
function checker(history: readonly Signed[]): SetCheck {
  return (writer, signed, root) =>
    writer === W &&
    history.some(
      (at) =>
        compareTimestamps(at.version, signed.version) === 0 && Buffer.from(at.root).equals(Buffer.from(root)),
    );
}

function signature(version: Timestamp): SetSignature {
  return { version, signature: new Uint8Array(64), publicKey: new Uint8Array(32) };
}

/** The items newer than `from` that an honest relay holding `at` has. */
function whole(at: Signed, from: Timestamp): ProvenItems {
  return {
    writer: W,
    from,
    signed: signature(at.version),
    items: [...at.set.items()].filter((item) => compareTimestamps(item, from) > 0),
  };
}

/** The parts an honest relay holding `at` sends a replica at `from` in a catch-up by slices at `depth`. */
function sliced(at: Signed, from: Timestamp, depth: number): SlicedItems[] {
  return at.set.cut(depth).map((node) => ({
    writer: W,
    version: at.version,
    at: node.at,
    items: at.set.itemsIn(node.at).filter((item) => compareTimestamps(item, from) > 0),
  }));
}

/** An honest relay's answer, whole (depth 0) or by slices, as the replica takes it. */
function sync(replica: VerifiedSets, at: Signed, depth: number, check: SetCheck): Acceptance[] {
  const from = replica.clockOf(W);
  if (depth === 0) return [replica.accept(whole(at, from), check)];
  const results = [
    replica.acceptCut({ writer: W, signed: signature(at.version), nodes: at.set.cut(depth) }, check),
  ];
  for (const part of sliced(at, from, depth))
    if (part.items.length > 0) results.push(replica.acceptSlice(part));
  return results;
}

describe('VerifiedSets', () => {
  it("an honest relay's answers, whole or in slices, bring a replica to the writer's set from any clock", () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 6 }),
        (batches, syncs) => {
          const history = play(batches);
          const check = checker(history);
          const replica = new VerifiedSets(nobleSha256);
          let reached = -1;
          for (const [pick, depth] of syncs) {
            const target = pick % history.length;
            const at = history[target] as Signed;
            const results = sync(replica, at, depth, check);
            if (target <= reached) continue;
            // A part already held as the cut has it is proven with the cut and skipped after.
            expect(results.every((result) => result !== 'refused')).toBe(true);
            expect(replica.clockOf(W)).toEqual(at.version);
            expect(replica.setOf(W)?.root()).toEqual(at.root);
            expect(replica.signatureOf(W)?.version).toEqual(at.version);
            reached = target;
          }
        },
      ),
    );
  });

  it('refuses an answer or a part with an item changed, left out or added, and changes nothing', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom('change', 'omit', 'add'),
        (batches, start, pick, depth, forgery) => {
          fc.pre(batches.length >= 2);
          const history = play(batches);
          const check = checker(history);
          const replica = new VerifiedSets(nobleSha256);
          const first = history[start % (history.length - 1)] as Signed;
          expect(sync(replica, first, 0, check)).toEqual(['proven']);
          const before = replica.setOf(W)?.root();
          const last = history[history.length - 1] as Signed;
          const from = replica.clockOf(W);
          const forge = (items: SetItem[]): SetItem[] => {
            const victim = items[pick % items.length] as SetItem;
            const at = items.indexOf(victim);
            if (forgery === 'change') items[at] = { ...victim, digest: new Uint8Array(16).fill(7) };
            if (forgery === 'omit') items.splice(at, 1);
            // Another key of the same part, so a part's check (not only the slice rule) must catch it.
            if (forgery === 'add') items.push({ ...victim, key: `${victim.key}-forged`, counter: 1 });
            return items;
          };
          if (depth === 0) {
            const answer = whole(last, from);
            fc.pre(answer.items.length > 0);
            expect(replica.accept({ ...answer, items: forge([...answer.items]) }, check)).toBe('refused');
          } else {
            expect(
              replica.acceptCut(
                { writer: W, signed: signature(last.version), nodes: last.set.cut(depth) },
                check,
              ),
            ).not.toBe('refused');
            const parts = sliced(last, from, depth).filter((part) => part.items.length > 0);
            fc.pre(parts.length > 0);
            const part = parts[pick % parts.length] as SlicedItems;
            expect(replica.acceptSlice({ ...part, items: forge([...part.items]) })).toBe('refused');
          }
          expect(replica.setOf(W)?.root()).toEqual(before);
          expect(replica.clockOf(W)).toEqual(first.version);
        },
      ),
    );
  });

  it('refuses a cut that does not make the signed root', () => {
    const history = play([
      Array.from({ length: 200 }, (_, k) => ({ key: `k${k}`, digest: new Uint8Array(16) })),
    ]);
    const check = checker(history);
    const at = history[0] as Signed;
    const nodes = at.set.cut(2);
    const replica = new VerifiedSets(nobleSha256);
    const forged = nodes.map((node, i) => (i === 0 ? { ...node, hash: new Uint8Array(32) } : node));
    expect(replica.acceptCut({ writer: W, signed: signature(at.version), nodes: forged }, check)).toBe(
      'refused',
    );
    expect(
      replica.acceptCut({ writer: W, signed: signature(at.version), nodes: nodes.slice(1) }, check),
    ).toBe('refused');
    expect(replica.catchingUp(W)).toBe(false);
    // A part for a catch-up that never started waits for its cut (it may have overtaken it).
    expect(replica.acceptSlice(sliced(at, { wall: 0, counter: 0 }, 2)[0] as SlicedItems)).toBe('early');
  });

  it('skips what it cannot judge: items starting past its clock, or older than what it holds', () => {
    const history = play([
      [{ key: 'a', digest: new Uint8Array(16) }],
      [{ key: 'b', digest: new Uint8Array(16) }],
      [{ key: 'c', digest: new Uint8Array(16) }],
    ]);
    const check = checker(history);
    const replica = new VerifiedSets(nobleSha256);
    const [one, two, three] = history as [Signed, Signed, Signed];
    // From the second batch on, with the first missing here.
    expect(replica.accept(whole(three, one.version), check)).toBe('skipped');
    expect(replica.accept(whole(two, replica.clockOf(W)), check)).toBe('proven');
    expect(replica.accept(whole(one, { wall: 0, counter: 0 }), check)).toBe('skipped');
    expect(replica.clockOf(W)).toEqual(two.version);
  });
});
