import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { createNode } from './create-node.js';

const SECRET = new Uint8Array(32).fill(3);
const KEYS = 10_000;

/**
 * Two nodes meet after a partition, `a` holding KEYS keys `b` lacks. With `bothStart`, both run
 * their rounds (their digests cross); without, only `b` does. Returns the bytes both sent (sealed,
 * membership included) and the map entries sent, from the heal until `b` holds everything and
 * the link has gone quiet.
 */
async function firstContact(bothStart: boolean, seed: number): Promise<{ bytes: number; entries: number }> {
  const net = new SimulatedNetwork({ seed, latency: { min: 1, max: 10 } });
  const silent = { gossipInterval: 3_600_000, idleGossipInterval: 3_600_000 };
  const a = await createNode({
    id: 'a',
    ...net.nodePorts('a'),
    secret: SECRET,
    ...(bothStart ? {} : { config: silent }),
  });
  const b = await createNode({ id: 'b', ...net.nodePorts('b'), secret: SECRET });
  net.partition(['a'], ['b']);
  const home = await a.channel('home');
  const onA = home.map('m');
  await home.transact(() => {
    for (let i = 0; i < KEYS; i++) void onA.set(`key-${i}`, { v: i });
  });
  const onB = (await b.channel('home')).map('m');
  await net.runFor(5000);
  const sentBy = () => {
    const nodes = net.stats().nodes;
    return ['a', 'b'].reduce((sum, id) => sum + (nodes.get(id as never)?.bytesSent ?? 0), 0);
  };
  const entriesBy = () => a.resourceUsage().sync.entriesSent + b.resourceUsage().sync.entriesSent;
  const [bytes0, entries0] = [sentBy(), entriesBy()];
  net.heal();
  expect(await net.runUntil(() => onB.size === KEYS, { timeout: 60_000 })).toBe(true);
  await net.runFor(2000);
  return { bytes: sentBy() - bytes0, entries: entriesBy() - entries0 };
}

describe('first contact when both sides start a round at once (simulated, sealed)', () => {
  it('sends every entry once and costs at most 1.05× the bytes of one side starting', async () => {
    for (const seed of [1, 2, 3]) {
      const one = await firstContact(false, seed);
      const both = await firstContact(true, seed);
      console.log(
        `seed ${seed}: one side ${one.bytes} B / ${one.entries} entries; both ${both.bytes} B / ${both.entries} entries (${(both.bytes / one.bytes).toFixed(3)}×)`,
      );
      expect(one.entries).toBe(KEYS);
      expect(both.entries).toBe(KEYS);
      expect(both.bytes / one.bytes).toBeLessThanOrEqual(1.05);
    }
  }, 120_000);
});
