import { DEFAULT_EPOCH, SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../codec/encode-value.js';
import { ErrorCode, type ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { type HostileSend, hostilePeer } from '../test-support/hostile-peer.js';
import { SignedMapWriter } from '../test-support/signed-map.js';
import { createNode } from './create-node.js';

/**
 * Sends `count` one-entry deltas, keys `k<first>`…, all at this instant, each signed by the
 * writer `as` with a key of mallory's: hers to write. Each push chains on the one before, so a
 * victim that dropped some takes none after them: a new flood writes under a new name.
 */
function flood(send: HostileSend, net: SimulatedNetwork, as: string, first: number, count: number): void {
  const writer = new SignedMapWriter('m', as as NodeId, new Uint8Array(32).fill(9));
  for (let i = first; i < first + count; i++) {
    const entry = {
      key: `k${i}`,
      value: i,
      wall: DEFAULT_EPOCH + net.now(),
      counter: i,
      writer: as as NodeId,
    };
    send('victim', 'c', [writer.write([{ entry, valueBytes: encodeValue(i) }])]);
  }
}

describe('per-peer rate budgets', () => {
  it('throttle a flooding keyed peer, report it once per episode, and keep serving the others', async () => {
    const net = new SimulatedNetwork({ seed: 7, latency: 2 });
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice') });
    const victim = await createNode({
      id: 'victim',
      ...net.nodePorts('victim'),
      config: { limits: { peerMessagesPerSecond: 200, peerMessageBurst: 200 } },
    });
    const throttled: ShoalError[] = [];
    victim.errors.subscribe((error) => {
      if (error.code === ErrorCode.LimitExceeded) throttled.push(error);
    });
    const aliceMap = (await alice.channel('c')).map('m');
    const map = (await victim.channel('c')).map('m');
    const fromMallory = () => [...map.keys()].filter((key) => key.startsWith('k')).length;
    const send = hostilePeer(net, 'mallory');

    flood(send, net, 'mallory', 0, 500);
    await net.runFor(100);
    expect(fromMallory()).toBe(200);
    expect(victim.health().throttled).toBe(300);
    expect(throttled).toHaveLength(1);
    expect(throttled[0]?.details).toEqual({ peer: 'mallory', limit: 'peerMessagesPerSecond' });

    await aliceMap.set('honest', 1);
    expect(await net.runUntil(() => map.get('honest') === 1, { timeout: 5000 })).toBe(true);

    // A second later the bucket is full again: the flooder is heard, and a new episode reported.
    await net.runFor(1000);
    flood(send, net, 'mallory-2', 500, 250);
    await net.runFor(100);
    expect(fromMallory()).toBe(400);
    expect(victim.health().throttled).toBe(350);
    expect(throttled).toHaveLength(2);
  });
});
