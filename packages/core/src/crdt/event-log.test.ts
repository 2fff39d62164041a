import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { EventLog, type StreamEntry } from './event-log.js';
import { chainStep, EMPTY_CHAIN_HASH } from './stream-chain.js';

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

describe('EventLog chain hashes at any seq', () => {
  const author = a;
  const tagged = (seq: number, tag = 0): StreamEntry => ({
    author,
    seq,
    wall: 1_700_000_000_000 + seq,
    counter: tag,
    payload: Uint8Array.of(seq & 0xff, tag),
  });
  const naive = (entries: readonly StreamEntry[], seq: number) =>
    entries.slice(0, seq).reduce((chain, each) => chainStep(chain, each), EMPTY_CHAIN_HASH);

  it('match a walk from the first entry, across checkpoints, after appends and a rewrite', () => {
    const entries = Array.from({ length: 2600 }, (_, i) => tagged(i + 1));
    const log = new EventLog();
    for (const each of entries) log.apply(each);
    const seqs = [0, 1, 1023, 1024, 1025, 2047, 2048, 2049, 2600];
    for (const seq of seqs) expect(log.chainHashAt(author, seq)).toEqual(naive(entries, seq));
    const rewritten = [
      ...entries.slice(0, 1499),
      ...Array.from({ length: 1200 }, (_, i) => tagged(1500 + i, 1)),
    ];
    log.rewrite(author, 1500, rewritten.slice(1499));
    for (const seq of [...seqs, 2699]) expect(log.chainHashAt(author, seq)).toEqual(naive(rewritten, seq));
    expect(log.chainHash(author)).toEqual(naive(rewritten, 2699));
  });
});
