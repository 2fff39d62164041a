import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { Coordinator } from './coordinator.js';

/**
 * More entries of one writer than a JavaScript call takes arguments (about 120k): code that
 * spread them into a call (`push(...entries)`) threw a RangeError, so a newcomer never caught
 * up and a channel with such a stream could not be opened again.
 */
const MANY = 150_000;
const config = { limits: { maxKeysPerChannel: 2 * MANY, maxStreamEntries: 2 * MANY } };

async function boot(
  net: SimulatedNetwork,
  id: string,
  mapEntries: 'memory' | 'store' = 'memory',
): Promise<Coordinator> {
  const node = await Coordinator.create({ id, ...net.nodePorts(id), config: { ...config, mapEntries } });
  await node.start();
  return node;
}

describe('a channel larger than a call takes arguments', () => {
  it('reaches a newcomer: a map of 150k keys by one writer', { timeout: 120_000 }, async () => {
    const net = new SimulatedNetwork({ seed: 11, latency: 5 });
    const writer = await boot(net, 'writer');
    const channel = await writer.channel('big');
    const map = channel.map('m');
    await channel.transact(() => {
      for (let i = 0; i < MANY; i++) void map.set(`key-${i}`, i);
    });
    const newcomer = await boot(net, 'newcomer');
    const copy = (await newcomer.channel('big')).map('m');
    expect(await net.runUntil(() => copy.size === MANY, { timeout: 300_000 })).toBe(true);
    expect(copy.get(`key-${MANY - 1}`)).toBe(MANY - 1);
  });

  it(
    'reaches a newcomer from a map kept in the store, reopened (ADR 0050)',
    { timeout: 120_000 },
    async () => {
      const net = new SimulatedNetwork({ seed: 13, latency: 5 });
      let writer = await boot(net, 'writer', 'store');
      const channel = await writer.channel('big');
      const map = channel.map('m');
      await channel.transact(() => {
        for (let i = 0; i < MANY; i++) void map.set(`key-${i}`, i);
      });
      net.crash('writer');
      net.restart('writer');
      writer = await boot(net, 'writer', 'store');
      expect((await writer.channel('big')).map('m').size).toBe(MANY);
      const newcomer = await boot(net, 'newcomer', 'store');
      const copy = (await newcomer.channel('big')).map('m');
      expect(await net.runUntil(() => copy.size === MANY, { timeout: 300_000 })).toBe(true);
      expect(copy.get(`key-${MANY - 1}`)).toBe(MANY - 1);
    },
  );

  it(
    'opens again with a stream of 150k entries, and hands them to a newcomer',
    { timeout: 120_000 },
    async () => {
      const net = new SimulatedNetwork({ seed: 12, latency: 5 });
      let writer = await boot(net, 'writer');
      const channel = await writer.channel('big');
      const log = channel.stream('s');
      const payload = new Uint8Array([1, 2, 3]);
      await channel.transact(() => {
        for (let i = 0; i < MANY; i++) void log.append(payload);
      });
      net.crash('writer');
      net.restart('writer');
      writer = await boot(net, 'writer');
      expect((await writer.channel('big')).stream('s').getAll()).toHaveLength(MANY);
      const newcomer = await boot(net, 'newcomer');
      const copy = (await newcomer.channel('big')).stream('s');
      expect(await net.runUntil(() => copy.getAll().length === MANY, { timeout: 300_000 })).toBe(true);
    },
  );
});
