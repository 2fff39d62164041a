import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { Coordinator } from './coordinator.js';

const SECRET = new Uint8Array(32).fill(3);
const ENTRIES = 5_000;

/** A started sealed node on `net`. */
async function boot(net: SimulatedNetwork, id: string): Promise<Coordinator> {
  const node = await Coordinator.create({ id, ...net.nodePorts(id), secret: SECRET });
  await node.start();
  return node;
}

// A newcomer catching up on a large channel: its digests (the first round, and the answer to
// the old node's own round) cross the old node's answer on the wire. Each entry should still
// travel once (ADR 0004: digests that predate an answer in flight are read as holding it).
describe('catching up on a large channel (simulated network, virtual time)', () => {
  for (const latency of [1, 20, 80]) {
    it(`a newcomer receives each entry once, at ${latency} ms latency`, async () => {
      const net = new SimulatedNetwork({ seed: latency, latency: { min: latency, max: latency } });
      const old = await boot(net, 'old');
      const channel = await old.channel('big');
      await channel.transact(() => {
        for (let i = 0; i < ENTRIES; i++) void channel.map('kv').set(`k${i}`, i);
      });
      await Promise.all(
        Array.from({ length: ENTRIES }, () => channel.stream('log').append(new Uint8Array(8))),
      );
      const newcomer = await boot(net, 'new');
      const copy = await newcomer.channel('big');
      const caughtUp = () => copy.map('kv').size === ENTRIES && copy.stream('log').size === ENTRIES;
      expect(await net.runUntil(caughtUp, { timeout: 60_000 })).toBe(true);
      await net.runFor(10_000);
      expect(newcomer.resourceUsage().sync.entriesReceived).toBe(2 * ENTRIES);
    });
  }

  it('cuts a large answer by how well it really compresses: 1200-byte datagrams go out mostly full', async () => {
    const net = new SimulatedNetwork({ seed: 4, latency: 5, maxMessageSize: 1200 });
    const old = await boot(net, 'old');
    const channel = await old.channel('big');
    await channel.transact(() => {
      for (let i = 0; i < ENTRIES; i++) void channel.map('kv').set(`key-${i}`, { v: i, s: `value-${i}` });
    });
    const newcomer = await boot(net, 'new');
    const copy = (await newcomer.channel('big')).map('kv');
    expect(await net.runUntil(() => copy.size === ENTRIES, { timeout: 60_000 })).toBe(true);
    // The old node had sent no delta, so its running estimate of how well deltas compress was
    // the initial guess; chunked by it, these deltas averaged 438 B in 103 messages. The first
    // chunk's measured compression sets the budget instead: 694 B in 55 (a margin is kept for
    // gossip and for chunks that compress less well than the first).
    const { delta } = old.stats().traffic.sent;
    console.log(`${delta.messages} deltas, ${Math.round(delta.bytes / delta.messages)} B each on average`);
    expect(delta.bytes / delta.messages).toBeGreaterThan(0.5 * 1200);
  });
});
