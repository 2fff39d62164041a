import { ErrorCode, type MessagePort, SeededRandom, withFaults } from '@shoal/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedNetwork } from '../src/index.js';
import { byte, id } from './helpers.js';

/** `b` wrapped by `withFaults`, sending to a lossless, fixed-latency `a` (1 ms links). */
function wrapped(seed: number) {
  const net = new SimulatedNetwork({ seed, latency: 1 });
  const a = net.connect('a');
  const b = withFaults(net.connect('b'), { timers: net.timers, random: new SeededRandom(seed) });
  const arrivals: { value: number; at: number }[] = [];
  a.onMessage((_from, bytes) => arrivals.push({ value: bytes[0] as number, at: net.timers.monotonic() }));
  return { net, b, arrivals };
}

function sendMany(port: MessagePort, count: number): void {
  for (let value = 0; value < count; value++) port.send(id('a'), byte(value));
}

describe('withFaults: a fault-injecting decorator for any MessagePort', () => {
  it('loses, duplicates and counts: delivered = sent - dropped + duplicated, for any seed and rates', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (seed, loss, duplicate) => {
          const { net, b, arrivals } = wrapped(seed);
          b.setFaults({ loss, duplicate });
          sendMany(b, 200);
          await net.runFor(100);
          const { sent, dropped, duplicated } = b.stats;
          expect(sent).toBe(200);
          expect(arrivals.length).toBe(sent - dropped + duplicated);
          // Nothing is invented: every arrival is a message that was sent, at most twice.
          const counts = new Map<number, number>();
          for (const { value } of arrivals) counts.set(value, (counts.get(value) ?? 0) + 1);
          for (const count of counts.values()) expect(count).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('loses about the fraction asked for', async () => {
    const { net, b, arrivals } = wrapped(3);
    b.setFaults({ loss: 0.3 });
    sendMany(b, 2000);
    await net.runFor(100);
    // Binomial(2000, 0.7): mean 1400, sd 20.5; ±5 sd.
    expect(arrivals.length).toBeGreaterThan(1300);
    expect(arrivals.length).toBeLessThan(1500);
  });

  it('delays within the range, reorders when asked, and sends nothing once closed', async () => {
    const { net, b, arrivals } = wrapped(5);
    b.setFaults({ delay: { min: 20, max: 40 } });
    const start = net.timers.monotonic();
    sendMany(b, 50);
    await net.runFor(100);
    expect(arrivals.length).toBe(50);
    for (const { at } of arrivals) {
      expect(at - start).toBeGreaterThanOrEqual(20 + 1);
      expect(at - start).toBeLessThanOrEqual(40 + 1);
    }
    arrivals.length = 0;
    b.setFaults({ reorder: 0.5, delay: 5 });
    sendMany(b, 50);
    await net.runFor(100);
    const order = arrivals.map(({ value }) => value);
    expect(order.length).toBe(50);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
    expect(b.stats.reordered).toBeGreaterThan(0);
    arrivals.length = 0;
    sendMany(b, 10);
    await b.close();
    await net.runFor(100);
    expect(arrivals).toEqual([]);
  });

  it('refuses bad faults at once, and a delay without timers', () => {
    const net = new SimulatedNetwork({ seed: 1 });
    const port = withFaults(net.connect('b'));
    expect(() => port.setFaults({ loss: 1.5 })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
    expect(() => port.setFaults({ delay: { min: 5, max: 1 } })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
    expect(() => port.setFaults({ delay: 10 })).toThrow(/needs `timers`/);
    expect(() => port.send(id('a'), new Uint8Array(port.maxMessageSize + 1))).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
  });
});
