import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/shoal-error.js';
import { Coordinator } from './coordinator.js';
import type { SharedMap } from './shared-map.js';

async function cluster(size: number, options: ConstructorParameters<typeof SimulatedNetwork>[0] = {}) {
  const net = new SimulatedNetwork({ seed: 7, latency: { min: 1, max: 10 }, ...options });
  const nodes: Coordinator[] = [];
  for (let i = 0; i < size; i++) {
    const id = `node-${i}`;
    nodes.push(
      await Coordinator.create({
        id,
        ...net.nodePorts(id),
      }),
    );
  }
  for (const node of nodes) await node.start();
  return { net, nodes };
}

/**
 * Two nodes a and b, settled; a writes `count` keys `interval` ms apart, each pushed to b.
 * `sent(node)`: the entries that node sent since just before the first write.
 */
async function pushedWrites(count: number, interval: number) {
  const { net, nodes } = await cluster(2, { latency: 5 });
  const [a, b] = nodes as [Coordinator, Coordinator];
  const [mapA, mapB] = (await Promise.all(nodes.map(async (node) => (await node.channel('c')).map('m')))) as [
    SharedMap,
    SharedMap,
  ];
  await net.runFor(1000);
  const before = new Map(nodes.map((node) => [node, node.resourceUsage().sync.entriesSent]));
  for (let i = 0; i < count; i++) {
    void mapA.set(`k${i}`, i);
    await net.runFor(interval);
  }
  const sent = (node: Coordinator) => node.resourceUsage().sync.entriesSent - (before.get(node) ?? 0);
  return { net, a, b, mapB, sent };
}

describe('Coordinator', () => {
  it('replicates a map write to every node', async () => {
    const { net, nodes } = await cluster(3);
    const maps = await Promise.all(nodes.map(async (node) => (await node.channel('home')).map('settings')));
    await maps[0]?.set('lights', { on: true, level: 3 });
    expect(maps[0]?.get('lights')).toEqual({ on: true, level: 3 });
    expect(
      await net.runUntil(() => maps.every((map) => map.get('lights') !== undefined), { timeout: 5000 }),
    ).toBe(true);
    expect(maps[2]?.get('lights')).toEqual({ on: true, level: 3 });
    // A value that came over the network is handed out frozen, as a local one is.
    expect(Object.isFrozen(maps[2]?.get('lights'))).toBe(true);
  });

  it('makes a write visible elsewhere in about one network delay with eager push', async () => {
    const { net, nodes } = await cluster(2, { latency: 5 });
    const [a, b] = await Promise.all(nodes.map(async (node) => (await node.channel('c')).map('m')));
    await net.runFor(1000);
    const start = net.now();
    await a?.set('k', 1);
    await net.runUntil(() => b?.get('k') === 1, { timeout: 5000 });
    expect(net.now() - start).toBeLessThanOrEqual(10);
  });

  it('reconciles one write made apart in one round trip of two messages, many keys or not', async () => {
    const { net, nodes } = await cluster(2, { latency: 5 });
    const [a, b] = nodes as [Coordinator, Coordinator];
    const [mapA, mapB] = await Promise.all(nodes.map(async (node) => (await node.channel('c')).map('m')));
    for (let i = 0; i < 300; i++) void mapA?.set(`key-${i}`, { v: i });
    await net.runUntil(() => mapB?.size === 300, { timeout: 10_000 });
    // A few more rounds, so each side's memory of the other is settled.
    await net.runFor(2000);
    net.partition(['node-0'], ['node-1']);
    await mapA?.set('late', { v: -7 });
    await net.runFor(1000);
    const sent = () => {
      const stats = [a.resourceUsage().sync, b.resourceUsage().sync];
      return stats.reduce((sum, sync) => sum + sync.digestsSent + sync.deltasSent, 0);
    };
    const before = sent();
    net.heal();
    expect(await net.runUntil(() => mapB?.get('late') !== undefined, { timeout: 5000 })).toBe(true);
    // The digest that opened the round carried the entry; the answer, sent as it arrived, was
    // an empty final chunk.
    expect(sent() - before).toBe(2);
    expect(mapB?.get('late')).toEqual({ v: -7 });
  });

  it('sends each write once while pushes carry them, with no copy attached to digests', async () => {
    const { net, a, mapB, sent } = await pushedWrites(40, 50);
    await net.runFor(1000);
    expect(mapB.size).toBe(40);
    // Every write was pushed once; rounds in between confirmed them with claims only. Once the
    // pushes stop, the first digest may carry the last writes again (the peer's clock still
    // lacks them), and an answer to the peer's digest may carry a write it got by push but had
    // not made durable yet (its summary leaves those out), when its round crosses a write. Over
    // seeds 1-12 that is 40-45 entries, and 40-44 on the code before relays left their sender
    // out: the earlier bound of 42 held for this seed only. Attaching regardless of pushes sent
    // 57 here.
    expect(sent(a)).toBeLessThanOrEqual(45);
  });

  it('does not push a relayed write back to the node that pushed it', async () => {
    const { b, mapB, sent } = await pushedWrites(20, 20);
    expect(mapB.size).toBe(20);
    // b's only peer is a, which pushed every one of them: relaying one back sent it twice.
    expect(sent(b)).toBe(0);
  });

  it('converges streams in one total order', async () => {
    const { net, nodes } = await cluster(3, { loss: 0.2 });
    const streams = await Promise.all(
      nodes.map(async (node) => (await node.channel('chat')).stream('messages')),
    );
    for (let i = 0; i < 10; i++) await streams[i % 3]?.append(new TextEncoder().encode(`message ${i}`));
    await net.runUntil(() => streams.every((stream) => stream.size === 10), { timeout: 30_000 });
    const order = streams.map((stream) => stream.getAll().map((entry) => `${entry.author}/${entry.seq}`));
    expect(order[1]).toEqual(order[0]);
    expect(order[2]).toEqual(order[0]);
  });

  it('keeps a written value durable across a crash and restart', async () => {
    const { net, nodes } = await cluster(1);
    const map = (await nodes[0]!.channel('c')).map('m');
    await map.set('kept', 'yes');
    await map.set('object', { deep: ['a'] });
    net.crash('node-0');
    net.restart('node-0');
    const again = await Coordinator.create({
      port: net.connect('node-0'),
      timers: net.timersFor('node-0'),
      random: net.random('node-0'),
      storage: net.storage('node-0'),
    });
    expect(again.id).toBe('node-0');
    const reloaded = (await again.channel('c')).map('m');
    expect(reloaded.get('kept')).toBe('yes');
    // Values loaded from storage are frozen, as every value a map hands out is.
    expect(Object.isFrozen((reloaded.get('object') as { deep: string[] }).deep)).toBe(true);
  });

  it('refuses bad writes with a clear code and changes nothing', async () => {
    const { nodes } = await cluster(1);
    const node = nodes[0]!;
    const map = (await node.channel('c')).map('m');
    // Async calls reject (never throw), at once, and change nothing.
    await expect(map.set('k', (() => 1) as never)).rejects.toMatchObject({
      code: ErrorCode.UnsupportedValue,
    });
    await expect(map.set('k', 'x'.repeat(70_000))).rejects.toMatchObject({ code: ErrorCode.LimitExceeded });
    await expect(map.set('\uD800', 1)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(map.set(7 as never, 1)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect((await node.channel('c')).stream('s').append('text' as never)).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
    expect(map.has('k')).toBe(false);
    expect(map.size).toBe(0);
    await expect(node.channel('')).rejects.toMatchObject({ code: ErrorCode.InvalidId });
  });

  it('resumes a watch from a cursor without missing changes', async () => {
    const { nodes } = await cluster(1);
    const map = (await nodes[0]!.channel('c')).map('m');
    await map.set('a', 1);
    const first = map.watch({ since: 0 });
    const seen = await first.next();
    expect(seen.value).toMatchObject({ key: 'a', value: 1, local: true });
    await first.return?.();
    await map.set('b', 2);
    await map.delete('a');
    const resumed = map.watch({ since: (seen.value as { cursor: number }).cursor });
    const events = [(await resumed.next()).value, (await resumed.next()).value];
    expect(events.map((event) => [event.key, event.deleted])).toEqual([
      ['b', false],
      ['a', true],
    ]);
    await nodes[0]!.dispose();
    expect(await resumed.next()).toEqual({ value: undefined, done: true });
  });
});

describe('values larger than a datagram', () => {
  it('replicate in fragments under loss', async () => {
    const { net, nodes } = await cluster(3, { loss: 0.2, maxMessageSize: 1200 });
    const maps = await Promise.all(nodes.map(async (node) => (await node.channel('c')).map('m')));
    const big = { blob: 'x'.repeat(40_000), bytes: new Uint8Array(5000).fill(7) };
    await maps[0]?.set('big', big);
    await maps[1]?.set('small', 1);
    const arrived = await net.runUntil(() => maps.every((map) => map.has('big') && map.has('small')), {
      timeout: 60_000,
    });
    expect(arrived).toBe(true);
    expect(maps[2]?.get('big')).toEqual(big);
  });
});
