import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { MemoryStore } from '../storage/memory-store.js';
import { hostilePeer } from '../test-support/hostile-peer.js';
import { joinObjects, SignedMapWriter, split } from '../test-support/signed-map.js';
import type { Coordinator } from './coordinator.js';
import { createNode } from './create-node.js';
import { decodePeerMemory, encodePeerMemory } from './peer-memory.js';

const WRITERS = 600;

describe('peer memory across a restart (issue 20)', () => {
  it('makes the digests after a graceful restart cost about what live rounds cost, not a full digest each way', async () => {
    const net = new SimulatedNetwork({ seed: 5, latency: 2 });
    const storage = new MemoryStore();
    const a = await createNode({ id: 'a', ...net.nodePorts('a') });
    const open = (port: string) =>
      createNode({
        id: 'b',
        port: net.connect(port),
        timers: net.timersFor(port),
        random: net.random(port),
        storage,
      });
    let b: Coordinator = await open('b');
    // A map many writers wrote to (their entries and ranges handed to both by a third node):
    // a full digest of it lists 600 clocks.
    const feed = hostilePeer(net, 'feeder');
    // Each writer's set, signed with a key of its own.
    const map = joinObjects(
      Array.from({ length: WRITERS }, (_, i) =>
        new SignedMapWriter(
          'm',
          `w${i}` as NodeId,
          Uint8Array.of(i >> 8, i & 255, ...new Uint8Array(30)),
        ).write([
          {
            entry: { key: `k${i}`, value: i, wall: 1_000 + i, counter: 0, writer: `w${i}` as NodeId },
            valueBytes: Uint8Array.of(i % 128),
          },
        ]),
      ),
    );
    // A few writers a message: each writer's signed set takes about 130 bytes.
    for (const to of ['a', 'b']) for (const part of split(map, 6)) feed(to, 'c', [part]);
    const onA = (await a.channel('c')).map('m');
    let onB = (await b.channel('c')).map('m');
    expect(await net.runUntil(() => onA.size === WRITERS && onB.size === WRITERS, { timeout: 10_000 })).toBe(
      true,
    );
    await net.runFor(5000);

    // Digests the two received: only each other's (the feeder sends none).
    const digestBytes = () =>
      a.stats().traffic.received.digest.bytes + b.stats().traffic.received.digest.bytes;
    let before = digestBytes();
    await net.runFor(3000);
    const live = digestBytes() - before;

    await b.stop();
    net.crash('b');
    net.restart('b');
    await onA.set('x', 2);
    before = a.stats().traffic.received.digest.bytes;
    b = await open('b'); // its counters start at zero
    onB = (await b.channel('c')).map('m');
    await net.runFor(3000);
    const restart = digestBytes() - before;
    expect(onB.get('x')).toBe(2);
    // Relative to the sets both still hold, the restarted pair's digests cost about what three
    // seconds of live rounds cost; without the kept sets a 600-clock full digest goes each way
    // (1,975 B here, deflated, against 278 B with them).
    console.log(`digests in 3 s: live ${live} B; after a graceful restart ${restart} B (${WRITERS} writers)`);
    expect(restart).toBeLessThan(live + 500);
  });

  it('round-trips its record and refuses damaged bytes without throwing', () => {
    const clocks = new Map([
      [
        'm:m',
        { kind: 'map' as const, name: 'm', clocks: new Map([['w1' as NodeId, { wall: 5, counter: 1 }]]) },
      ],
    ]);
    const bases = [{ channel: 'c', peer: 'p' as NodeId, received: true, clocks }];
    const bytes = encodePeerMemory(bases);
    expect(decodePeerMemory(bytes)).toEqual({ ok: true, value: bases });
    for (let cut = 0; cut < bytes.length; cut++)
      expect(decodePeerMemory(bytes.subarray(0, cut)).ok).toBe(false);
  });
});
