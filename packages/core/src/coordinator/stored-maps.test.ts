import { ManualTimers } from '@shoal/testkit';
import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import type { Value } from '../crdt/value.js';
import { RecordKind } from '../persistence/storage-keys.js';
import type { KeyRange, KeyValueStore } from '../ports/key-value-store.js';
import { MemoryStore } from '../storage/memory-store.js';

import { Coordinator } from './coordinator.js';

/**
 * A MemoryStore that outlives the nodes on it (a disposed node closes its store) and counts the
 * map entries read by async scans and the synchronous reads.
 */
class CountingStore extends MemoryStore {
  entryScans = 0;
  syncReads = 0;

  override async close(): Promise<void> {}

  override scan(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]> {
    if (prefix[0] === RecordKind.MapEntry) this.entryScans++;
    return super.scan(prefix);
  }

  override getSync(key: Uint8Array): Uint8Array | undefined {
    this.syncReads++;
    return super.getSync(key);
  }

  override scanSync(range: KeyRange): IterableIterator<[Uint8Array, Uint8Array]> {
    this.syncReads++;
    return super.scanSync(range);
  }
}

async function open(storage: KeyValueStore, mapEntries: 'memory' | 'store'): Promise<Coordinator> {
  return Coordinator.create({ id: 'solo', timers: new ManualTimers(), storage, config: { mapEntries } });
}

/** Writes keys k0..k(n-1) with overwrites and deletes; returns what the map must then hold. */
async function writeSome(node: Coordinator, tag: string, n: number): Promise<Map<string, Value>> {
  const map = (await node.channel('c')).map('m');
  const expected = new Map<string, Value>();
  for (let i = 0; i < n; i++) {
    await map.set(`k${i}`, { tag, i });
    expected.set(`k${i}`, { tag, i });
  }
  for (let i = 0; i < n; i += 3) {
    await map.set(`k${i}`, `${tag}-again`);
    expected.set(`k${i}`, `${tag}-again`);
  }
  for (let i = 1; i < n; i += 5) {
    await map.delete(`k${i}`);
    expected.delete(`k${i}`);
  }
  return expected;
}

async function expectHolds(node: Coordinator, expected: Map<string, Value>): Promise<void> {
  const map = (await node.channel('c')).map('m');
  expect(map.size).toBe(expected.size);
  expect(new Map(map.entries())).toEqual(expected);
  for (const [key, value] of expected) expect(map.get(key)).toEqual(value);
}

describe("maps kept in the store (config.mapEntries 'store')", () => {
  it("open a channel with one scan of its entries (for the writers' signed sets), and read them through the store", async () => {
    const disk = new CountingStore();
    const writer = await open(disk, 'store');
    const expected = await writeSome(writer, 'a', 300);
    await writer.dispose();

    disk.entryScans = 0;
    const node = await open(disk, 'store');
    const map = (await node.channel('c')).map('m');
    // One scan rebuilds each writer's signed set (ADR 0058); no entry is kept in memory.
    expect(disk.entryScans).toBe(1);
    const readsToOpen = disk.syncReads;
    expect(map.size).toBe(expected.size);
    expect(disk.syncReads).toBe(readsToOpen); // counted on open, not by reading
    expect(node.resourceUsage().tombstones).toBe(60);
    await expectHolds(node, expected);
    expect(map.getEntry('k1')?.deleted).toBe(true);
    // Keys iterate in the store's order (UTF-8 length, then bytes), writes not yet durable last.
    const keys = [...map.keys()];
    expect(keys).toEqual([...keys].sort((x, y) => x.length - y.length || (x < y ? -1 : 1)));
    void map.set('zz-new', 1);
    void map.set('a-new', 2);
    expect([...map.keys()].slice(-2)).toEqual(['zz-new', 'a-new']);
    await node.flush();
    expect([...map.keys()].filter((key) => key.length === 5)).toEqual(['a-new']);
    expect([...map.keys()].at(-1)).toBe('zz-new');
    await node.dispose();
  });

  it('keep every write and count across switches between memory and store', async () => {
    const disk = new CountingStore();
    let node = await open(disk, 'memory');
    const expected = await writeSome(node, 'a', 200);
    await node.dispose();

    node = await open(disk, 'store'); // counts the entries written in memory mode, once
    await expectHolds(node, expected);
    for (const [key, value] of await writeSome(node, 'b', 120)) expected.set(key, value);
    for (let i = 1; i < 120; i += 5) expected.delete(`k${i}`);
    await expectHolds(node, expected);
    await node.dispose();

    node = await open(disk, 'memory'); // drops the counts: its writes will not keep them
    await expectHolds(node, expected);
    const map = (await node.channel('c')).map('m');
    await map.set('k7', 'memory-again');
    await map.delete('k9');
    expected.set('k7', 'memory-again');
    expected.delete('k9');
    await node.dispose();

    node = await open(disk, 'store'); // counts again, from the entries as they are now
    await expectHolds(node, expected);
    await node.dispose();
  });

  it('drop the version index records a store kept before writer sets (ADR 0058), and write none', async () => {
    const disk = new CountingStore();
    let node = await open(disk, 'store');
    const expected = await writeSome(node, 'a', 50);
    await node.dispose();
    const indexRecords = async () => {
      let count = 0;
      for await (const _ of disk.scan(new Uint8Array([RecordKind.MapIndex]))) count++;
      return count;
    };
    expect(await indexRecords()).toBe(0);
    // Records as a store from before held them: opening drops them, and the map reads the same.
    const old = Array.from({ length: 5 }, (_, i) => ({
      type: 'put' as const,
      key: new Uint8Array([RecordKind.MapIndex, 1, 99, i]),
      value: new Uint8Array(0),
    }));
    await disk.batch(old);
    expect(await indexRecords()).toBe(5);
    node = await open(disk, 'store');
    await node.channel('c');
    expect(await indexRecords()).toBe(0);
    await expectHolds(node, expected);
    await node.dispose();
  });

  it('serve a newcomer everything, and resume watch({ since }) from the stored cursors', async () => {
    const net = new SimulatedNetwork({ seed: 11, latency: 5 });
    const boot = (id: string, mapEntries: 'memory' | 'store') =>
      Coordinator.create({ id, ...net.nodePorts(id), config: { mapEntries } }).then(async (node) => {
        await node.start();
        return node;
      });
    let a = await boot('a', 'store');
    const expected = await writeSome(a, 'a', 150);
    const cursor = (await (await a.channel('c')).map('m').watch({ since: 0 }).next()).value?.cursor ?? 0;
    net.crash('a');
    net.restart('a');
    a = await boot('a', 'store');
    const onA = (await a.channel('c')).map('m');
    const resumed = new Set<string>();
    const replay = onA.watch({ since: cursor });
    for (let i = 0; i < expected.size + 60 - 1; i++) {
      const next = await replay.next();
      if (next.done === true) break;
      resumed.add(next.value.key);
      if (resumed.size === 149) break;
    }
    expect(resumed.size).toBe(149); // every key but the one the cursor was at
    for (const mode of ['store', 'memory'] as const) {
      const id = `newcomer-${mode}`;
      const newcomer = await boot(id, mode);
      const map = (await newcomer.channel('c')).map('m');
      expect(await net.runUntil(() => map.size === expected.size, { timeout: 20_000 })).toBe(true);
      expect(new Map(map.entries())).toEqual(expected);
      await newcomer.dispose();
    }
    await a.dispose();
  });

  it.each([
    'memory',
    'store',
  ] as const)('bring a newcomer a map larger than one answer over several exchanges (maps in %s)', async (mapEntries) => {
    const net = new SimulatedNetwork({ seed: 17, latency: 5 });
    const config = { mapEntries, limits: { maxAnswerEntries: 500 } };
    const boot = async (id: string) => {
      const node = await Coordinator.create({ id, ...net.nodePorts(id), config });
      await node.start();
      return node;
    };
    const writers = [await boot('w1'), await boot('w2'), await boot('w3')];
    for (const [index, writer] of writers.entries()) {
      const channel = await writer.channel('c');
      const map = channel.map('m');
      await channel.transact(() => {
        for (let i = 0; i < 1500; i++) void map.set(`k${i % 2000}-${index}`, i);
      });
    }
    const maps = await Promise.all(writers.map(async (writer) => (await writer.channel('c')).map('m')));
    expect(await net.runUntil(() => maps.every((map) => map.size === 4500), { timeout: 60_000 })).toBe(true);
    const newcomer = await boot('newcomer');
    const copy = (await newcomer.channel('c')).map('m');
    expect(await net.runUntil(() => copy.size === 4500, { timeout: 60_000 })).toBe(true);
    expect(new Map(copy.entries())).toEqual(new Map(maps[0]?.entries()));
  });
});
