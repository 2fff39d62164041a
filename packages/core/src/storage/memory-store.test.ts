import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory-store.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('MemoryStore', () => {
  it('keeps every value intact across many overwrites, long values included', async () => {
    const store = new MemoryStore();
    await store.put(bytes(1), new Uint8Array(300).fill(7));
    const big = new Uint8Array(5000).fill(9);
    await store.put(bytes(2), big);
    for (let round = 0; round < 2000; round++) {
      await store.batch([
        { type: 'put', key: bytes(3, round % 5), value: new Uint8Array(1000).fill(round % 251) },
      ]);
    }
    expect(await store.get(bytes(1))).toEqual(new Uint8Array(300).fill(7));
    expect(await store.get(bytes(2))).toEqual(big);
    for (let last = 1995; last < 2000; last++) {
      expect(await store.get(bytes(3, last % 5))).toEqual(new Uint8Array(1000).fill(last % 251));
    }
  });

  it('a scan under way sees its snapshot, whatever is written meanwhile', async () => {
    const store = new MemoryStore();
    await store.put(bytes(1, 0), bytes(10));
    await store.put(bytes(1, 1), bytes(11));
    const seen: [Uint8Array, Uint8Array][] = [];
    for await (const pair of store.scan(bytes(1))) {
      seen.push(pair);
      await store.delete(bytes(1, 1));
      for (let i = 0; i < 300; i++) await store.put(bytes(2), new Uint8Array(1000).fill(i));
    }
    expect(seen).toEqual([
      [bytes(1, 0), bytes(10)],
      [bytes(1, 1), bytes(11)],
    ]);
  });

  it('scans by prefix in unsigned byte order, bytes above 0x7f included', async () => {
    const store = new MemoryStore();
    for (const key of [
      bytes(5, 0xff),
      bytes(5),
      bytes(5, 0x80, 1),
      bytes(4, 0xff),
      bytes(5, 0x7f),
      bytes(6),
    ]) {
      await store.put(key, key);
    }
    const keys: Uint8Array[] = [];
    for await (const [key] of store.scan(bytes(5))) keys.push(key);
    expect(keys).toEqual([bytes(5), bytes(5, 0x7f), bytes(5, 0x80, 1), bytes(5, 0xff)]);
  });
});
