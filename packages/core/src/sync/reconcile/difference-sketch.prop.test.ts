import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDifference, emptySketch, type SketchElement, toggleItem } from './difference-sketch.js';

const element = fc.record({
  position: fc.integer({ min: 0, max: 2 ** 52 - 1 }),
  id: fc.nat({ max: 0xffffffff }),
});

function sketchOf(elements: readonly SketchElement[]): Uint32Array {
  const cells = emptySketch();
  for (const e of elements) toggleItem(cells, e.position, e.id, 1);
  return cells;
}

const top40 = (e: SketchElement): SketchElement => ({ position: Math.floor(e.position / 2 ** 12), id: e.id });
const sorted = (elements: readonly SketchElement[]) =>
  [...elements].sort((x, y) => x.position - y.position || x.id - y.id);

describe('difference sketch', () => {
  it('decodes the exact difference, or reports failure', () => {
    fc.assert(
      fc.property(
        fc.array(element, { maxLength: 50 }),
        fc.uniqueArray(element, { maxLength: 4, selector: (e) => `${e.position}/${e.id}` }),
        fc.uniqueArray(element, { maxLength: 4, selector: (e) => `${e.position}/${e.id}` }),
        (shared, onlyTheirs, onlyMine) => {
          const difference = decodeDifference(
            sketchOf([...shared, ...onlyTheirs]),
            sketchOf([...shared, ...onlyMine]),
          );
          if (difference === undefined) return;
          expect(sorted(difference.plus)).toEqual(sorted(onlyTheirs.map(top40)));
          expect(sorted(difference.minus)).toEqual(sorted(onlyMine.map(top40)));
        },
      ),
    );
  });

  it('always decodes a single difference', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 50 }), element, fc.boolean(), (shared, extra, theirs) => {
        const withExtra = sketchOf([...shared, extra]);
        const without = sketchOf(shared);
        const difference = theirs
          ? decodeDifference(withExtra, without)
          : decodeDifference(without, withExtra);
        expect(difference).toEqual(
          theirs ? { plus: [top40(extra)], minus: [] } : { plus: [], minus: [top40(extra)] },
        );
      }),
    );
  });
});
