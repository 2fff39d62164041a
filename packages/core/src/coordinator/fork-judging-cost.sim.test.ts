import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_INTERVAL } from '../crdt/event-log.js';
import { ErrorCode } from '../errors/shoal-error.js';
import { nobleSha256, type Sha256 } from '../ports/sha256.js';
import { hostilePeer } from '../test-support/hostile-peer.js';
import { createNode } from './create-node.js';

// ADR 0057: a replica judges another history of an author from the first seq where it differs,
// hashing the author's chain up to there. A keyed member forging one entry at a late seq of a
// long stream, with a made-up proof, must not make it hash the whole history per message: the
// log keeps the chain hash every CHECKPOINT_INTERVAL seqs.
describe('forged entries at a late seq of a long stream (simulated)', () => {
  it('cost a bounded number of hashes each, and change nothing', async () => {
    const net = new SimulatedNetwork({ seed: 5, latency: 2 });
    let hashes = 0;
    const counting: Sha256 = (data) => {
      hashes++;
      return nobleSha256(data);
    };
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice') });
    const bob = await createNode({ id: 'bob', ...net.nodePorts('bob'), sha256: counting });
    const written = 3 * CHECKPOINT_INTERVAL - 50;
    const stream = (await alice.channel('c')).stream('s');
    for (let i = 0; i < written; i++) void stream.append(Uint8Array.of(i & 0xff));
    await alice.flush();
    const onBob = (await bob.channel('c')).stream('s');
    expect(await net.runUntil(() => onBob.size === written, { timeout: 60_000 })).toBe(true);
    const before = onBob.getAll();
    const errors: string[] = [];
    bob.errors.subscribe((error) => errors.push(error.code));

    net.partition(['alice'], ['bob', 'mallory']);
    const send = hostilePeer(net, 'mallory');
    const messages = 10;
    hashes = 0;
    for (let i = 0; i < messages; i++) {
      const forged = {
        author: 'alice' as never,
        seq: written - 5,
        wall: (before[0]?.wall ?? 0) - 1,
        counter: 0,
        payload: Uint8Array.of(0xee, i),
        proof: { signature: new Uint8Array(64).fill(i + 1), publicKey: alice.publicKey },
      };
      send('bob', 'c', [{ kind: 'stream', name: 's', entries: [forged] }]);
      await net.runFor(20);
    }
    // Each message: the chain from the checkpoint below the seq, and the forged run, once.
    expect(hashes).toBeLessThan(messages * (CHECKPOINT_INTERVAL + 10));
    expect(hashes).toBeGreaterThan(0);
    expect(errors).toContain(ErrorCode.AuthFailed);
    expect(onBob.getAll()).toEqual(before);
    await Promise.all([alice, bob].map((node) => node.dispose({ leave: false })));
  }, 120_000);
});
