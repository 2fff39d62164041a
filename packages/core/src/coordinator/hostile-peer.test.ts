import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { MAX_WALL } from '../clock/timestamp.js';
import { encodeValue } from '../codec/encode-value.js';
import { ErrorCode } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { hostilePeer } from '../test-support/hostile-peer.js';
import { SignedMapWriter } from '../test-support/signed-map.js';
import { createNode } from './create-node.js';

describe('a hostile keyed peer', () => {
  it('cannot freeze a writer with a claim that reaches into the future', async () => {
    const net = new SimulatedNetwork({ seed: 4, latency: 2 });
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice') });
    const victim = await createNode({ id: 'victim', ...net.nodePorts('victim') });
    const errors: string[] = [];
    victim.errors.subscribe((error) => errors.push(error.code));
    const aliceMap = (await alice.channel('c')).map('m');
    const victimMap = (await victim.channel('c')).map('m');
    net.partition(['alice'], ['victim', 'mallory']);
    const send = hostilePeer(net, 'mallory');
    // A signature in alice's name (her id was never met: a named id takes the key it names)
    // over a set at the end of time: taken, it would let alice's clock skip her real writes.
    const forger = new SignedMapWriter('m', 'alice' as NodeId, new Uint8Array(32).fill(9));
    send('victim', 'c', [forger.write([], { wall: MAX_WALL, counter: 0 })]);
    await net.runFor(100);
    expect(errors).toContain(ErrorCode.ClockDrift);
    await aliceMap.set('k', 'real write');
    net.heal();
    expect(await net.runUntil(() => victimMap.get('k') === 'real write', { timeout: 10_000 })).toBe(true);
  });

  it('cannot store a value over maxValueBytes on a node that refuses it locally', async () => {
    const net = new SimulatedNetwork({ seed: 4, latency: 2, maxMessageSize: 200_000 });
    const victim = await createNode({ id: 'victim', ...net.nodePorts('victim') });
    const errors: string[] = [];
    victim.errors.subscribe((error) => errors.push(error.code));
    const map = (await victim.channel('c')).map('m');
    const big = 'x'.repeat(75_000);
    const send = hostilePeer(net, 'mallory');
    const entry = {
      key: 'big',
      value: big,
      wall: Date.UTC(2026, 0, 1),
      counter: 0,
      writer: 'mallory' as NodeId,
    };
    const mallory = new SignedMapWriter('m', 'mallory' as NodeId, new Uint8Array(32).fill(9));
    send('victim', 'c', [mallory.write([{ entry, valueBytes: encodeValue(big) }])]);
    await net.runFor(100);
    expect(map.has('big')).toBe(false);
    expect(errors).toContain(ErrorCode.LimitExceeded);
  });

  it('cannot silently split a stream with an entry forged in the name of another author', async () => {
    const net = new SimulatedNetwork({ seed: 4, latency: 2 });
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice') });
    const victim = await createNode({ id: 'victim', ...net.nodePorts('victim') });
    const errors: string[] = [];
    victim.errors.subscribe((error) => errors.push(error.code));
    await (await alice.channel('c')).stream('s').append(Uint8Array.of(1));
    const log = (await victim.channel('c')).stream('s');
    expect(await net.runUntil(() => log.size === 1, { timeout: 5000 })).toBe(true);
    const held = log.getAll()[0];
    hostilePeer(net, 'mallory')('victim', 'c', [
      {
        kind: 'stream',
        name: 's',
        entries: [
          {
            author: 'alice' as NodeId,
            seq: 1,
            wall: held!.wall,
            counter: held!.counter,
            payload: Uint8Array.of(66),
          },
        ],
      },
    ]);
    await net.runFor(100);
    expect(errors).toContain(ErrorCode.StreamConflict);
    expect(victim.health().errors[ErrorCode.StreamConflict]).toBe(1);
    expect([...(log.getAll()[0]?.payload ?? [])]).toEqual([1]);
  });

  it('a peer whose clock runs far ahead is reported once and quarantined, not refused every round', async () => {
    const net = new SimulatedNetwork({ seed: 6, latency: 2 });
    const victim = await createNode({ id: 'victim', ...net.nodePorts('victim') });
    const ahead = await createNode({ id: 'ahead', ...net.nodePorts('ahead') });
    net.setClockSkew('ahead', 5 * 60_000);
    const drift: string[] = [];
    victim.errors.subscribe((error) => {
      if (error.code === ErrorCode.ClockDrift) drift.push(error.message);
    });
    await (await victim.channel('c')).map('m').set('mine', 1);
    await (await ahead.channel('c')).map('m').set('from-the-future', 1);
    await net.runFor(8000);
    expect(drift).toHaveLength(1);
    expect(drift[0]).toContain('not syncing with it');
    expect((await victim.channel('c')).map('m').has('from-the-future')).toBe(false);
    expect(victim.health().errors[ErrorCode.ClockDrift]).toBe(1);
  });
});
