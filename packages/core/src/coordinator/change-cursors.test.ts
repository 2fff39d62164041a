import { describe, expect, it } from 'vitest';
import { type HeldMapEntry, mapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { changedSince } from './change-cursors.js';

/** A map's current entry per key, each with the cursor it was adopted at. */
function harness() {
  const current = new Map<string, HeldMapEntry>();
  const put = (key: string, cursor: number) => {
    const entry = mapEntry(key, cursor, cursor, 0, 'a' as NodeId);
    entry.cursor = cursor;
    current.set(key, entry);
  };
  const keysSince = (since: number) =>
    changedSince(current.values(), since).map((entry) => `${entry.key}@${entry.cursor}`);
  return { current, put, keysSince };
}

describe('changedSince', () => {
  it('replays each key once, at its latest cursor, in change order', () => {
    const { put, keysSince } = harness();
    put('a', 1);
    put('b', 2);
    put('a', 3);
    put('c', 4);
    expect(keysSince(0)).toEqual(['b@2', 'a@3', 'c@4']);
    expect(keysSince(2)).toEqual(['a@3', 'c@4']);
    expect(keysSince(4)).toEqual([]);
  });

  it('orders by cursor whatever order the entries are held in (a load in key order)', () => {
    const { put, keysSince } = harness();
    put('a', 7);
    put('b', 3);
    put('c', 5);
    put('d', 8);
    expect(keysSince(4)).toEqual(['c@5', 'a@7', 'd@8']);
  });

  it('leaves out purged keys', () => {
    const { current, put, keysSince } = harness();
    let cursor = 0;
    for (let round = 0; round < 3000; round++) put(`k${round % 3}`, ++cursor);
    current.delete('k1');
    expect(keysSince(0)).toEqual([`k0@${cursor - 2}`, `k2@${cursor}`]);
  });
});
