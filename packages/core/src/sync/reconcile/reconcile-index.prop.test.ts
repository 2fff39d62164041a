import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptySketch, toggleItem } from './difference-sketch.js';
import { accumulate, emptyFingerprint, type Fingerprint } from './fingerprint.js';
import { itemDigest, keyPosition } from './item-digest.js';
import { type PrefixRange, ROOT_RANGE, rangeContains } from './prefix-range.js';
import { ReconcileIndex } from './reconcile-index.js';

type Op = { readonly key: string; readonly version: Uint8Array | undefined };

const op = fc.record({
  key: fc.oneof(
    fc.integer({ min: 0, max: 120 }).map((n) => `k${n}`),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
  ),
  version: fc.option(fc.uint8Array({ minLength: 0, maxLength: 3 }), { nil: undefined, freq: 4 }),
});

function fromScratch(model: Map<string, Uint8Array>, keep: (position: number) => boolean): Fingerprint {
  const out = emptyFingerprint();
  for (const [key, version] of model)
    if (keep(keyPosition(key))) accumulate(out, itemDigest(key, version), 1);
  return out;
}

function apply(ops: readonly Op[]): { index: ReconcileIndex; model: Map<string, Uint8Array> } {
  const index = new ReconcileIndex();
  const model = new Map<string, Uint8Array>();
  for (const { key, version } of ops) {
    if (version === undefined) {
      expect(index.delete(key)).toBe(model.delete(key));
    } else {
      index.set(key, version);
      model.set(key, version);
    }
  }
  return { index, model };
}

const range: fc.Arbitrary<PrefixRange> = fc
  .integer({ min: 0, max: 3 })
  .chain((depth) =>
    fc.record({ depth: fc.constant(depth), prefix: fc.integer({ min: 0, max: 16 ** depth - 1 }) }),
  );

describe('ReconcileIndex', () => {
  it('keeps every range fingerprint equal to a from-scratch sum after sets and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 400, size: 'max' }),
        fc.array(range, { maxLength: 8 }),
        (ops, ranges) => {
          const { index, model } = apply(ops);
          expect(index.count).toBe(model.size);
          const sketch = emptySketch();
          for (const [key, version] of model)
            toggleItem(sketch, keyPosition(key), itemDigest(key, version)[0]!, 1);
          expect(index.sketch()).toEqual(sketch);
          for (const r of [ROOT_RANGE, ...ranges]) {
            expect(index.fingerprint(r)).toEqual(fromScratch(model, (p) => rangeContains(r, p)));
            const keys = index.items(r).map((item) => item.key);
            const expected = [...model.keys()].filter((key) => rangeContains(r, keyPosition(key)));
            expect(keys.sort()).toEqual(expected.sort());
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers arbitrary position intervals like a from-scratch sum', () => {
    const position = fc.integer({ min: 0, max: 2 ** 52 });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300, size: 'max' }), position, position, (ops, x, y) => {
        const { index, model } = apply(ops);
        const [lower, upper] = x <= y ? [x, y] : [y, x];
        expect(index.fingerprintBetween(lower, upper)).toEqual(
          fromScratch(model, (p) => p >= lower && p < upper),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('is independent of the order items were written in', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { maxLength: 300, size: 'max' }),
        (ns) => {
          const forward = new ReconcileIndex();
          const backward = new ReconcileIndex();
          for (const n of ns) forward.set(`k${n}`, Uint8Array.of(n % 7));
          for (const n of [...ns].reverse()) backward.set(`k${n}`, Uint8Array.of(n % 7));
          expect(forward.fingerprint(ROOT_RANGE)).toEqual(backward.fingerprint(ROOT_RANGE));
        },
      ),
      { numRuns: 30 },
    );
  });
});
