import { describe, expect, it } from 'vitest';
import type { Value } from '../crdt/value.js';
import { valueEquals } from './value-equals.js';

describe('valueEquals', () => {
  it.each<[Value, Value]>([
    [0, -0],
    [
      { a: 1, b: [2, 'x'] },
      { b: [2, 'x'], a: 1 },
    ],
    [new Uint8Array([1, 2]), Buffer.from([1, 2])],
    [JSON.parse('{"__proto__": {"a": 1}}') as Value, JSON.parse('{"__proto__": {"a": 1}}') as Value],
    [Object.assign(Object.create(null) as Record<string, Value>, { a: null }), { a: null }],
  ])('holds for %j and %j', (a, b) => {
    expect(valueEquals(a, b)).toBe(true);
    expect(valueEquals(b, a)).toBe(true);
  });

  it.each<[Value, Value]>([
    [1, '1'],
    [null, {}],
    [[], {}],
    [{ 0: 1 }, [1]],
    [new Uint8Array([1, 2]), [1, 2]],
    [new Uint8Array([1, 2]), new Uint8Array([1, 3])],
    [
      [1, 2],
      [1, 2, 3],
    ],
    [{ a: 1 }, { a: 1, b: 2 }],
    [
      { a: 1, b: 2 },
      { a: 1, c: 2 },
    ],
    [JSON.parse('{"__proto__": {"a": 1}}') as Value, {}],
    [{ a: [{ b: 1 }] }, { a: [{ b: 2 }] }],
  ])('fails for %j and %j', (a, b) => {
    expect(valueEquals(a, b)).toBe(false);
    expect(valueEquals(b, a)).toBe(false);
  });
});
