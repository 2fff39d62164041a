import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/shoal-error.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import { MessageType } from '../protocol/message-type.js';
import { Keyring } from '../security/keyring.js';
import { generateSecret } from '../security/network-secret.js';
import { MemoryStore } from '../storage/memory-store.js';
import { pairedPeer } from '../test-support/paired-peer.js';
import { copyOf } from '../test-support/store-copy.js';
import { ByteWriter } from '../wire/byte-writer.js';
import type { Coordinator } from './coordinator.js';
import { createNode } from './create-node.js';

describe('a node restored from an older backup', () => {
  it('is told by its peers that its boot epoch is stale, moves past it, and is heard again', async () => {
    const net = new SimulatedNetwork({ seed: 21, latency: 2 });
    const secret = generateSecret();
    const bob = await createNode({ id: 'bob', ...net.nodePorts('bob'), secret });
    const onBob = (await bob.channel('c')).map('m');
    const open = (storage: KeyValueStore): Promise<Coordinator> =>
      createNode({
        id: 'alice',
        port: net.connect('alice'),
        timers: net.timersFor('alice'),
        storage,
        secret,
      });

    let storage: KeyValueStore = new MemoryStore();
    let alice = await open(storage);
    await alice.flush();
    const backup = await copyOf(storage); // taken at boot epoch 1
    // Two more boots that bob hears: he now knows alice at epoch 3.
    for (const value of [1, 2]) {
      await (await alice.channel('c')).map('m').set('k', value);
      expect(await net.runUntil(() => onBob.get('k') === value, { timeout: 10_000 })).toBe(true);
      // A crash: the next boot sees what was durable.
      await alice.flush();
      const next = await copyOf(storage);
      await alice.dispose({ leave: false });
      storage = next;
      net.crash('alice');
      net.restart('alice');
      alice = await open(storage);
    }
    await (await alice.channel('c')).map('m').set('k', 3);
    expect(await net.runUntil(() => onBob.get('k') === 3, { timeout: 10_000 })).toBe(true);
    await alice.dispose({ leave: false });
    net.crash('alice');
    net.restart('alice');

    // Restored: it boots at epoch 2, below the 3 bob saw. Without the notice bob would drop
    // everything it sends as replays until it restarted twice more.
    alice = await open(backup);
    const errors: string[] = [];
    alice.errors.subscribe((error) => errors.push(error.code));
    await (await alice.channel('c')).map('m').set('after-restore', true);
    expect(await net.runUntil(() => onBob.get('after-restore') === true, { timeout: 20_000 })).toBe(true);
    expect(bob.health().sealing.dropped['stale-epoch']).toBeGreaterThan(0);
    expect(errors).toContain(ErrorCode.DataReplaced);
  });

  it('is not moved by a notice naming the epoch it already has (an answer to a replay of its older traffic)', async () => {
    const net = new SimulatedNetwork({ seed: 22, latency: 2 });
    const secret = new Keyring('shoal', [generateSecret()]);
    const bob = await createNode({ id: 'bob', ...net.nodePorts('bob'), secret });
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret });
    const errors: string[] = [];
    alice.errors.subscribe((error) => errors.push(error.code));
    const onBob = (await bob.channel('c')).map('m');
    await (await alice.channel('c')).map('m').set('k', 1);
    expect(await net.runUntil(() => onBob.get('k') === 1, { timeout: 10_000 })).toBe(true);
    // A peer that dropped a replay of alice's older traffic tells her the epoch it knows: her
    // current one (1: her first boot). That is no restore: she must neither move nor cry wolf.
    const carol = pairedPeer(net, 'carol', secret);
    const notice = new ByteWriter(10).writeVarint(1).finish();
    carol.send('alice', alice.publicKey, MessageType.EpochNotice, notice);
    await net.runFor(2000);
    expect(alice.stats().traffic.received['epoch-notice'].messages).toBe(1); // opened and handled
    expect(errors).not.toContain(ErrorCode.DataReplaced);
    await (await alice.channel('c')).map('m').set('k', 2);
    expect(await net.runUntil(() => onBob.get('k') === 2, { timeout: 10_000 })).toBe(true);
    expect(bob.health().sealing.dropped['implausible-epoch']).toBe(0);
  });
});
