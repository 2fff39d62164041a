import { describe, expect, it } from 'vitest';
import { SimulatedNetwork } from '../src/index.js';
import { byte, id, inbox } from './helpers.js';

function threeNodes(options: ConstructorParameters<typeof SimulatedNetwork>[0] = {}) {
  const net = new SimulatedNetwork({ seed: 7, latency: 5, ...options });
  const a = net.connect('a');
  const b = net.connect('b');
  const c = net.connect('c');
  return { net, a, b, c, inA: inbox(a), inB: inbox(b), inC: inbox(c) };
}

describe('partition, block and heal', () => {
  it('a partition blocks both directions and leaves each side connected', async () => {
    const { net, a, c, inA, inB, inC } = threeNodes();
    net.partition(['a', 'b'], ['c']);
    a.send(id('c'), byte(1));
    c.send(id('a'), byte(2));
    a.send(id('b'), byte(3));
    await net.runFor(100);
    expect(inC).toEqual([]);
    expect(inA).toEqual([]);
    expect(inB).toEqual(['a:3']);
    expect(net.stats().nodes.get(id('a'))?.dropped).toBe(1);
  });

  it('nodes listed in no group are together in one more group', async () => {
    const { net, b, c, inC } = threeNodes();
    net.connect('d');
    const d = net.connect('e');
    net.partition(['a', 'b']);
    d.send(id('c'), byte(1));
    b.send(id('c'), byte(2));
    await net.runFor(100);
    expect(inC).toEqual(['e:1']);
    expect(c.id).toBe('c');
  });

  it('drops messages already in flight when a partition starts', async () => {
    const { net, a, inC } = threeNodes({ latency: 50 });
    a.send(id('c'), byte(1));
    await net.runFor(10);
    net.partition(['a'], ['c']);
    await net.runFor(100);
    expect(inC).toEqual([]);
  });

  it('block is one-way', async () => {
    const { net, a, c, inA, inC } = threeNodes();
    net.block('a', 'c');
    a.send(id('c'), byte(1));
    c.send(id('a'), byte(2));
    await net.runFor(100);
    expect(inC).toEqual([]);
    expect(inA).toEqual(['c:2']);
  });

  it('heal restores every link', async () => {
    const { net, a, c, inA, inC } = threeNodes();
    net.partition(['a'], ['b', 'c']);
    net.block('c', 'a');
    net.heal();
    a.send(id('c'), byte(1));
    c.send(id('a'), byte(2));
    await net.runFor(100);
    expect(inC).toEqual(['a:1']);
    expect(inA).toEqual(['c:2']);
  });

  it('per-link loss is asymmetric and can be reset', async () => {
    const { net, a, c, inA, inC } = threeNodes();
    net.setLinkLoss('a', 'c', 1);
    a.send(id('c'), byte(1));
    c.send(id('a'), byte(2));
    await net.runFor(100);
    expect(inC).toEqual([]);
    expect(inA).toEqual(['c:2']);
    net.setLinkLoss('a', 'c', undefined);
    a.send(id('c'), byte(3));
    await net.runFor(100);
    expect(inC).toEqual(['a:3']);
  });
});

describe('crash and restart', () => {
  it('drops messages in flight to and from the crashed node', async () => {
    const { net, a, b, inA, inB } = threeNodes({ latency: 50 });
    a.send(id('b'), byte(1));
    b.send(id('a'), byte(2));
    await net.runFor(10);
    net.crash('b');
    await net.runFor(100);
    expect(inA).toEqual([]);
    expect(inB).toEqual([]);
    expect(net.stats().totals.dropped).toBe(2);
  });

  it('cancels its timers, tells peers it is down, and needs restart before connect', async () => {
    const { net, a } = threeNodes();
    const events: string[] = [];
    a.onPeer((peer, change) => events.push(`${peer}:${change}`));
    const fired: number[] = [];
    net.timersFor('b').setTimeout(() => fired.push(1), 50);
    net.timers.setTimeout(() => fired.push(2), 50);
    await net.runFor(1);
    net.crash('b');
    expect(() => net.connect('b')).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    await net.runFor(100);
    expect(fired).toEqual([2]);
    expect(events).toEqual(['b:up', 'c:up', 'b:down']);
    net.restart('b');
    const b = net.connect('b');
    const inB = inbox(b);
    a.send(id('b'), byte(3));
    await net.runFor(100);
    expect(inB).toEqual(['a:3']);
    expect(events).toEqual(['b:up', 'c:up', 'b:down', 'b:up']);
  });

  it('kills the old incarnation’s timers handle; the new one works', async () => {
    const net = new SimulatedNetwork();
    const old = net.timersFor('n');
    net.crash('n');
    net.restart('n');
    const fired: string[] = [];
    old.setTimeout(() => fired.push('old'), 1);
    net.timersFor('n').setTimeout(() => fired.push('new'), 1);
    await net.runFor(10);
    expect(fired).toEqual(['new']);
  });

  it('keeps the disk across crash and restart', async () => {
    const net = new SimulatedNetwork();
    const key = byte(1);
    const before = net.storage('n');
    await before.put(key, byte(42));
    net.crash('n');
    net.restart('n');
    const after = net.storage('n');
    expect(after).not.toBe(before);
    await before.close();
    expect(await after.get(key)).toEqual(byte(42));
  });

  it('reopens storage after a handle is closed, without losing data', async () => {
    const net = new SimulatedNetwork();
    const store = net.storage('n');
    expect(net.storage('n')).toBe(store);
    await store.put(byte(1), byte(2));
    await store.close();
    await expect(store.get(byte(1))).rejects.toMatchObject({ code: 'CLOSED' });
    expect(await net.storage('n').get(byte(1))).toEqual(byte(2));
  });

  it('restart of a running node is an error', () => {
    const net = new SimulatedNetwork();
    net.connect('a');
    expect(() => net.restart('a')).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });
});

describe('pause and resume', () => {
  it('holds inbound messages and timers while paused, and runs them in order on resume', async () => {
    const { net, a, inB } = threeNodes();
    const log: string[] = [];
    net.timersFor('b').setTimeout(() => log.push('timer'), 20);
    net.pause('b');
    a.send(id('b'), byte(1));
    await net.runFor(100);
    expect(inB).toEqual([]);
    expect(log).toEqual([]);
    net.resume('b');
    await net.runFor(0);
    expect(inB).toEqual(['a:1']);
    expect(log).toEqual(['timer']);
  });

  it('delivers held messages even if a partition started meanwhile (they had arrived)', async () => {
    const { net, a, inB } = threeNodes();
    net.pause('b');
    a.send(id('b'), byte(1));
    await net.runFor(100);
    net.partition(['a'], ['b']);
    net.resume('b');
    await net.runFor(1);
    expect(inB).toEqual(['a:1']);
  });

  it('a cancelled held timer does not run on resume', async () => {
    const net = new SimulatedNetwork();
    const fired: number[] = [];
    const cancel = net.timersFor('n').setTimeout(() => fired.push(1), 5);
    net.pause('n');
    await net.runFor(10);
    cancel();
    net.resume('n');
    await net.runFor(10);
    expect(fired).toEqual([]);
  });
});

describe('clock skew', () => {
  it('shifts the node’s wall clock only', async () => {
    const net = new SimulatedNetwork({ epoch: 1_000_000 });
    await net.runFor(10);
    net.setClockSkew('a', -5_000);
    const a = net.timersFor('a');
    const b = net.timersFor('b');
    expect(a.now()).toBe(1_000_010 - 5_000);
    expect(b.now()).toBe(1_000_010);
    expect(net.timers.now()).toBe(1_000_010);
    expect(a.monotonic()).toBe(10);
    expect(b.monotonic()).toBe(10);
  });
});

describe('random faults', () => {
  it('drops close to the configured fraction of messages', async () => {
    const net = new SimulatedNetwork({ seed: 3, loss: 0.3 });
    const a = net.connect('a');
    const received = inbox(net.connect('b'));
    for (let i = 0; i < 4_000; i++) a.send(id('b'), byte(i % 256));
    await net.runFor(100);
    // 4000 trials at p = 0.3: the standard deviation is about 29 messages.
    expect(received.length).toBeGreaterThan(4_000 * 0.7 - 150);
    expect(received.length).toBeLessThan(4_000 * 0.7 + 150);
    const stats = net.stats();
    expect(stats.totals.dropped + stats.totals.delivered).toBe(4_000);
  });

  it('duplicates close to the configured fraction of messages', async () => {
    const net = new SimulatedNetwork({ seed: 4, duplicate: 0.2 });
    const a = net.connect('a');
    const received = inbox(net.connect('b'));
    for (let i = 0; i < 4_000; i++) a.send(id('b'), byte(1));
    await net.runFor(100);
    const duplicated = net.stats().nodes.get(id('a'))?.duplicated ?? 0;
    expect(received.length).toBe(4_000 + duplicated);
    expect(duplicated).toBeGreaterThan(800 - 120);
    expect(duplicated).toBeLessThan(800 + 120);
  });

  it('draws latency within [min, max], and reorder makes later messages overtake', async () => {
    const net = new SimulatedNetwork({
      seed: 5,
      latency: { min: 10, max: 20 },
      reorder: 0.5,
      reorderDelay: 30,
    });
    const a = net.connect('a');
    const b = net.connect('b');
    const arrivals: { index: number; at: number }[] = [];
    b.onMessage((_, bytes) => arrivals.push({ index: bytes[0] ?? -1, at: net.now() }));
    for (let i = 0; i < 100; i++) a.send(id('b'), byte(i));
    await net.runFor(100);
    expect(arrivals).toHaveLength(100);
    for (const { at } of arrivals) {
      expect(at).toBeGreaterThanOrEqual(10);
      expect(at).toBeLessThanOrEqual(20 + 30);
    }
    const order = arrivals.map(({ index }) => index);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
  });

  it('with a fixed latency and no reorder, delivers in send order', async () => {
    const net = new SimulatedNetwork({ latency: 3 });
    const a = net.connect('a');
    const received = inbox(net.connect('b'));
    for (let i = 0; i < 20; i++) a.send(id('b'), byte(i));
    await net.runFor(3);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => `a:${i}`));
  });
});
