import { describe, expect, it } from 'vitest';
import type { MapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { ChangeCursors } from './change-cursors.js';

const entry = (key: string, wall: number): MapEntry => ({
  key,
  value: wall,
  wall,
  counter: 0,
  writer: 'a' as NodeId,
});

/** A map's current entry per key, as MapObject keeps it, beside the log under test. */
function harness() {
  const current = new Map<string, MapEntry>();
  const cursors = new ChangeCursors(
    (e) => current.get(e.key) === e,
    () => current.size,
  );
  const put = (e: MapEntry, cursor: number) => {
    current.set(e.key, e);
    cursors.record(e, cursor);
  };
  const keysSince = (since: number) => cursors.since(since).map(([e, cursor]) => `${e.key}@${cursor}`);
  return { current, cursors, put, keysSince };
}

describe('ChangeCursors', () => {
  it('replays each key once, at its latest cursor, in change order', () => {
    const { put, keysSince } = harness();
    put(entry('a', 1), 1);
    put(entry('b', 2), 2);
    put(entry('a', 3), 3);
    put(entry('c', 4), 4);
    expect(keysSince(0)).toEqual(['b@2', 'a@3', 'c@4']);
    expect(keysSince(2)).toEqual(['a@3', 'c@4']);
    expect(keysSince(4)).toEqual([]);
  });

  it('sorts cursors recorded out of order (a load in key order) before replaying', () => {
    const { put, keysSince } = harness();
    put(entry('a', 1), 7);
    put(entry('b', 2), 3);
    put(entry('c', 3), 5);
    put(entry('d', 4), 8);
    expect(keysSince(4)).toEqual(['c@5', 'a@7', 'd@8']);
  });

  it('leaves out purged keys and survives compaction of many overwrites', () => {
    const { current, put, keysSince } = harness();
    let cursor = 0;
    for (let round = 0; round < 3000; round++) put(entry(`k${round % 3}`, round), ++cursor);
    current.delete('k1');
    expect(keysSince(0)).toEqual([`k0@${cursor - 2}`, `k2@${cursor}`]);
  });
});
