import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { LwwMap, type MapChange, type MapEntry } from './lww-map.js';

const a = 'a' as NodeId;
const b = 'b' as NodeId;
const entry = (key: string, value: MapEntry['value'], wall: number, writer = a, counter = 0): MapEntry => ({
  key,
  value,
  wall,
  counter,
  writer,
});

describe('LwwMap', () => {
  it('keeps the later write and breaks ties by writer', () => {
    const map = new LwwMap();
    map.apply(entry('k', 1, 10, a));
    expect(map.apply(entry('k', 2, 9, b))).toBe(false);
    expect(map.apply(entry('k', 3, 10, b))).toBe(true);
    expect(map.get('k')).toBe(3);
    expect(map.apply(entry('k', 4, 10, a, 1))).toBe(true);
    expect(map.get('k')).toBe(4);
  });

  it('deletes with tombstones that beat older writes arriving later', () => {
    const map = new LwwMap();
    map.apply(entry('k', undefined, 20));
    expect(map.apply(entry('k', 'old', 10))).toBe(false);
    expect(map.has('k')).toBe(false);
    expect(map.size).toBe(0);
    expect(map.tombstones).toBe(1);
    expect(map.entry('k')?.value).toBeUndefined();
  });

  it('treats __proto__ and constructor as plain keys', () => {
    const map = new LwwMap();
    map.apply(entry('__proto__', { polluted: true }, 1));
    map.apply(entry('constructor', 'x', 1));
    expect(map.get('__proto__')).toEqual({ polluted: true });
    expect([...map.keys()].sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports changes with the previous value and whether they were local', () => {
    const map = new LwwMap();
    const changes: MapChange[] = [];
    map.onChange((change) => changes.push(change));
    map.apply(entry('k', 1, 1), true);
    map.apply(entry('k', undefined, 2));
    expect(
      changes.map(({ key, value, previous, deleted, local }) => ({ key, value, previous, deleted, local })),
    ).toEqual([
      { key: 'k', value: 1, previous: undefined, deleted: false, local: true },
      { key: 'k', value: undefined, previous: 1, deleted: true, local: false },
    ]);
  });

  it('purges entries without change events and keeps counts right', () => {
    const map = new LwwMap();
    map.apply(entry('live', 1, 1));
    map.apply(entry('dead', undefined, 1));
    let changes = 0;
    map.onChange(() => changes++);
    expect(map.purge('dead')).toBe(true);
    expect(map.purge('missing')).toBe(false);
    expect(map.entry('dead')).toBeUndefined();
    expect([map.size, map.tombstones]).toEqual([1, 0]);
    expect(map.purge('live')).toBe(true);
    expect([map.size, map.tombstones, changes]).toEqual([0, 0, 0]);
  });
});
