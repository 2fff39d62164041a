import { MemoryStore } from '@shoal/core';
import { describe, expect, it } from 'vitest';
import { SimulatedNetwork, type TraceEntry } from '../src/index.js';
import { byte, id, inbox } from './helpers.js';

describe('virtual time and timers', () => {
  it('runs timers in (time, scheduling) order, including ones scheduled by callbacks', async () => {
    const net = new SimulatedNetwork();
    const log: string[] = [];
    const timers = net.timers;
    timers.setTimeout(() => log.push(`b@${timers.monotonic()}`), 20);
    timers.setTimeout(() => {
      log.push(`a@${timers.monotonic()}`);
      timers.setTimeout(() => log.push(`a2@${timers.monotonic()}`), 0);
      timers.setTimeout(() => log.push(`a3@${timers.monotonic()}`), 15);
    }, 10);
    timers.setTimeout(() => log.push(`c@${timers.monotonic()}`), 20);
    const cancel = timers.setTimeout(() => log.push('cancelled'), 5);
    cancel();
    cancel();
    await net.runFor(30);
    expect(log).toEqual(['a@10', 'a2@10', 'b@20', 'c@20', 'a3@25']);
    expect(net.now()).toBe(30);
  });

  it('wall clock starts at the epoch and follows virtual time', async () => {
    const net = new SimulatedNetwork();
    expect(net.timers.now()).toBe(Date.UTC(2026, 0, 1));
    await net.runFor(1_500);
    expect(net.timers.now()).toBe(Date.UTC(2026, 0, 1) + 1_500);
    expect(net.timers.monotonic()).toBe(1_500);
  });

  it('lets promise chains of any depth settle between two events at the same virtual time', async () => {
    const net = new SimulatedNetwork();
    const store = new MemoryStore();
    let done = false;
    const observed: boolean[] = [];
    net.timers.setTimeout(() => {
      void (async () => {
        for (let i = 0; i < 300; i++) {
          await store.put(byte(i % 256), byte(i % 256));
          for await (const _ of store.scan(byte(0))) break;
        }
        done = true;
      })();
    }, 10);
    net.timers.setTimeout(() => observed.push(done), 10);
    await net.runFor(10);
    expect(observed).toEqual([true]);
  });

  it('lets async work started by the test settle before time moves', async () => {
    const net = new SimulatedNetwork();
    const a = net.connect('a');
    const received = inbox(net.connect('b'));
    void (async () => {
      await net.storage('a').put(byte(1), byte(1));
      a.send(id('b'), byte(9));
    })();
    await net.runFor(1);
    expect(received).toEqual(['a:9']);
  });

  it('runUntil resolves true at the event that made the predicate hold', async () => {
    const net = new SimulatedNetwork();
    let hits = 0;
    net.timers.setTimeout(() => hits++, 40);
    net.timers.setTimeout(() => hits++, 90);
    expect(await net.runUntil(() => hits === 1, { timeout: 1_000 })).toBe(true);
    expect(net.now()).toBe(40);
    expect(await net.runUntil(() => hits === 3, { timeout: 1_000 })).toBe(false);
    expect(net.now()).toBe(1_040);
  });

  it('refuses to run twice at once and rejects bad durations', async () => {
    const net = new SimulatedNetwork();
    const running = net.runFor(10);
    await expect(net.runFor(10)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await running;
    await expect(net.runFor(-1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(net.runFor(Number.NaN)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('containment and stats', () => {
  it('contains and counts exceptions from handlers and timers, and reports them', async () => {
    const reported: string[] = [];
    const net = new SimulatedNetwork({
      onError: (error, context) =>
        reported.push(`${context.node}:${context.source}:${(error as Error).message}`),
    });
    const a = net.connect('a');
    const b = net.connect('b');
    b.onMessage(() => {
      throw new Error('m');
    });
    b.onPeer(() => {
      throw new Error('p');
    });
    net.timersFor('b').setTimeout(() => {
      throw new Error('t');
    }, 5);
    net.timers.setTimeout(() => {
      throw new Error('s');
    }, 5);
    a.send(id('b'), byte(1));
    await net.runFor(10);
    expect(reported.sort()).toEqual(['b:message:m', 'b:peer:p', 'b:timer:t', 'undefined:timer:s']);
    const stats = net.stats();
    expect(stats.nodes.get(id('b'))?.errors).toBe(3);
    expect(stats.totals.errors).toBe(4);
  });

  it('counts messages and bytes per node and in total', async () => {
    const net = new SimulatedNetwork();
    const a = net.connect('a');
    net.connect('b');
    a.send(id('b'), new Uint8Array(10));
    a.send(id('b'), new Uint8Array(5));
    a.send(id('nobody'), new Uint8Array(3));
    await net.runFor(10);
    const stats = net.stats();
    expect(stats.nodes.get(id('a'))).toMatchObject({ sent: 3, bytesSent: 18, dropped: 1, delivered: 0 });
    expect(stats.nodes.get(id('b'))).toMatchObject({ sent: 0, delivered: 2, bytesDelivered: 15 });
    expect(stats.totals).toMatchObject({
      sent: 3,
      delivered: 2,
      dropped: 1,
      bytesSent: 18,
      bytesDelivered: 15,
    });
  });

  it('rejects out-of-range options', () => {
    for (const options of [
      { loss: 1.5 },
      { duplicate: -0.1 },
      { reorder: Number.NaN },
      { latency: -1 },
      { latency: { min: 5, max: 2 } },
      { maxMessageSize: 0 },
      { seed: Number.POSITIVE_INFINITY },
    ]) {
      expect(() => new SimulatedNetwork(options)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });

  it('rejects malformed node ids and double connects', () => {
    const net = new SimulatedNetwork();
    expect(() => net.connect('has space')).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
    net.connect('a');
    expect(() => net.connect('a')).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });
});

describe('determinism', () => {
  async function trace(seed: number): Promise<TraceEntry[]> {
    const net = new SimulatedNetwork({
      seed,
      loss: 0.2,
      duplicate: 0.1,
      reorder: 0.2,
      latency: { min: 1, max: 30 },
    });
    const entries: TraceEntry[] = [];
    net.onTrace((entry) => entries.push(entry));
    const ids = ['n0', 'n1', 'n2', 'n3'];
    const ports = ids.map((node) => net.connect(node));
    // Each node echoes to a random peer, and gossips on a jittered timer: the trace depends
    // on the fault stream, the node streams and the timer order.
    ports.forEach((port, i) => {
      const random = net.random(ids[i] ?? '');
      const timers = net.timersFor(ids[i] ?? '');
      port.onMessage((_, bytes) => {
        if ((bytes[0] ?? 0) > 0)
          port.send(id(ids[Math.floor(random.next() * 4)] ?? ''), byte((bytes[0] ?? 1) - 1));
      });
      const tick = () => {
        port.send(id(ids[Math.floor(random.next() * 4)] ?? ''), byte(3));
        timers.setTimeout(tick, 100 + Math.floor(random.next() * 50));
      };
      timers.setTimeout(tick, Math.floor(random.next() * 100));
    });
    net.partition(['n0', 'n1'], ['n2', 'n3']);
    await net.runFor(1_000);
    net.heal();
    net.crash('n3');
    await net.runFor(1_000);
    return entries;
  }

  it('the same seed gives the identical trace; another seed does not', async () => {
    const first = await trace(42);
    expect(first.length).toBeGreaterThan(100);
    expect(await trace(42)).toEqual(first);
    expect(await trace(43)).not.toEqual(first);
  });

  it('node random streams depend only on the seed and the node id', () => {
    const draw = (net: SimulatedNetwork, node: string) => [net.random(node).next(), net.random(node).next()];
    const one = new SimulatedNetwork({ seed: 9 });
    const two = new SimulatedNetwork({ seed: 9 });
    draw(two, 'other');
    expect(draw(two, 'x')).toEqual(draw(one, 'x'));
    expect(draw(new SimulatedNetwork({ seed: 10 }), 'x')).not.toEqual(
      draw(new SimulatedNetwork({ seed: 9 }), 'x'),
    );
  });
});
