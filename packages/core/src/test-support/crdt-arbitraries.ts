import fc from 'fast-check';
import type { StreamEntry } from '../crdt/event-log.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { Value } from '../crdt/value.js';
import type { NodeId } from '../ids/node-id.js';

/** Few writers and keys, so collisions (same key, same wall) are frequent. */
export const writerArb = fc.constantFrom('a', 'b', 'c', 'd') as fc.Arbitrary<NodeId>;
export const keyArb = fc.constantFrom('k1', 'k2', 'k3', '__proto__', 'constructor', '');
export const valueArb: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string({ maxLength: 4 }),
  fc.uint8Array({ maxLength: 3 }),
  fc.dictionary(fc.constantFrom('x', '__proto__'), fc.integer(), { maxKeys: 2 }),
);

export const mapEntryArb: fc.Arbitrary<MapEntry> = fc.record({
  key: keyArb,
  value: fc.option(valueArb, { nil: undefined }),
  wall: fc.integer({ min: 0, max: 5 }),
  counter: fc.integer({ min: 0, max: 2 }),
  writer: writerArb,
});

/** A set of well-formed stream logs: per author, seqs 1..n with increasing stamps. */
export const streamEntriesArb: fc.Arbitrary<StreamEntry[]> = fc
  .array(
    fc.tuple(
      writerArb,
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 3 })), { maxLength: 6 }),
    ),
    {
      maxLength: 4,
    },
  )
  .map((logs) => {
    const entries: StreamEntry[] = [];
    const seen = new Set<string>();
    for (const [author, items] of logs) {
      if (seen.has(author)) continue;
      seen.add(author);
      let wall = 0;
      items.forEach(([step, payload], index) => {
        wall += step;
        entries.push({ author, seq: index + 1, wall, counter: 0, payload });
      });
    }
    return entries;
  });

/** Shuffles `items` with duplicates, deterministically from the drawn permutation. */
export function deliveryOrderArb<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc
    .array(fc.nat({ max: Math.max(0, items.length - 1) }), { maxLength: items.length })
    .chain((duplicates) =>
      fc.shuffledSubarray([...items, ...duplicates.map((index) => items[index] as T)], {
        minLength: items.length + duplicates.length,
      }),
    );
}

/** Keys that are dangerous if assigned naively, mixed with arbitrary well-formed ones. */
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '0', ''),
);

/** Builds an object whose every key, `__proto__` included, is an own data property. */
function objectOf(entries: readonly (readonly [string, Value])[]): Value {
  const object: Record<string, Value> = {};
  for (const [name, value] of entries) {
    Object.defineProperty(object, name, { value, writable: true, enumerable: true, configurable: true });
  }
  return object;
}

/** Any {@link Value}, nested, with the keys and numbers most likely to break a codec. */
export const { value: anyValue } = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }).map(objectOf),
  ),
}));
