import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { EventLog, type StreamEntry } from './event-log.js';

const a = 'a' as NodeId;
const entry = (seq: number, wall: number, payload = [seq]): StreamEntry => ({
  author: a,
  seq,
  wall,
  counter: 0,
  payload: new Uint8Array(payload),
});

describe('EventLog', () => {
  it('holds entries behind a gap and releases them when it fills', () => {
    const log = new EventLog();
    const seen: number[] = [];
    log.onEntry((e) => seen.push(e.seq));
    expect(log.apply(entry(3, 3))).toBe('held');
    expect(log.apply(entry(2, 2))).toBe('held');
    expect(log.size).toBe(0);
    expect(log.apply(entry(1, 1))).toBe('applied');
    expect(seen).toEqual([1, 2, 3]);
    expect(log.held).toBe(0);
    expect(log.versionVector().get(a)).toBe(3);
  });

  it('ignores duplicates and refuses conflicting rewrites of a seq', () => {
    const log = new EventLog();
    log.apply(entry(1, 1));
    expect(log.apply(entry(1, 1))).toBe('duplicate');
    expect(log.apply(entry(1, 1, [9]))).toBe('conflict');
    expect(log.getAll()[0]?.payload).toEqual(new Uint8Array([1]));
  });

  it('bounds entries held per author', () => {
    const log = new EventLog({ maxHeldPerAuthor: 2 });
    expect(log.apply(entry(5, 5))).toBe('held');
    expect(log.apply(entry(6, 6))).toBe('held');
    expect(log.apply(entry(7, 7))).toBe('overflow');
    expect(log.held).toBe(2);
  });

  it('serves entries after a version', () => {
    const log = new EventLog();
    for (let seq = 1; seq <= 4; seq++) log.apply(entry(seq, seq));
    expect(log.entriesAfter(a, 2).map((e) => e.seq)).toEqual([3, 4]);
    expect(log.entriesAfter('nobody' as NodeId, 0)).toEqual([]);
    expect(log.nextEntry(a, { wall: 9, counter: 0 }, new Uint8Array()).seq).toBe(5);
  });
});
