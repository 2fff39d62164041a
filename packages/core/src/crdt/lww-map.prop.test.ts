import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveryOrderArb, mapEntryArb } from '../test-support/crdt-arbitraries.js';
import { LwwMap, type MapEntry } from './lww-map.js';

function stateOf(map: LwwMap): Map<string, MapEntry> {
  return new Map([...map.allEntries()].map((entry) => [entry.key, entry]));
}

function build(...batches: MapEntry[][]): LwwMap {
  const map = new LwwMap();
  for (const batch of batches) map.merge(batch);
  return map;
}

describe('LwwMap merge', () => {
  it('is commutative', () => {
    fc.assert(
      fc.property(fc.array(mapEntryArb), fc.array(mapEntryArb), (a, b) => {
        expect(stateOf(build(a, b))).toEqual(stateOf(build(b, a)));
      }),
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(fc.array(mapEntryArb), fc.array(mapEntryArb), fc.array(mapEntryArb), (a, b, c) => {
        // (a ⊔ b) ⊔ c versus a ⊔ (b ⊔ c), where ⊔ merges whole replica states.
        const left = build([...stateOf(build(a, b)).values()], c);
        const right = build(a, [...stateOf(build(b, c)).values()]);
        expect(stateOf(left)).toEqual(stateOf(right));
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.array(mapEntryArb), (a) => {
        const once = build(a);
        const twice = build(a, a, [...once.allEntries()]);
        expect(stateOf(twice)).toEqual(stateOf(once));
      }),
    );
  });

  it('converges for any delivery order with duplicates', () => {
    fc.assert(
      fc.property(
        fc
          .array(mapEntryArb, { maxLength: 20 })
          .chain((entries) =>
            fc.tuple(fc.constant(entries), deliveryOrderArb(entries), deliveryOrderArb(entries)),
          ),
        ([entries, order1, order2]) => {
          const reference = build(entries);
          expect(stateOf(build(order1))).toEqual(stateOf(reference));
          expect(stateOf(build(order2))).toEqual(stateOf(reference));
        },
      ),
    );
  });

  it('counts live keys and reports each winning change once', () => {
    fc.assert(
      fc.property(fc.array(mapEntryArb), (entries) => {
        const map = new LwwMap();
        let changes = 0;
        map.onChange(() => changes++);
        const applied = map.merge(entries);
        expect(changes).toBe(applied);
        expect(map.size).toBe([...map.keys()].length);
        expect(map.size + map.tombstones).toBe(stateOf(map).size);
      }),
    );
  });
});
