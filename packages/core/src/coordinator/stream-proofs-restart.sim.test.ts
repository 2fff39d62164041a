import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { channelPrefix, RecordKind } from '../persistence/storage-keys.js';
import { createNode } from './create-node.js';

const SECRET = new Uint8Array(32).fill(8);
const text = new TextEncoder();

describe('stream proofs across restarts (ADR 0054, simulated)', () => {
  it('a restarted relay still proves what it holds: a newcomer catches up from it alone', async () => {
    const net = new SimulatedNetwork({ seed: 21, latency: 3 });
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret: SECRET });
    let bob = await createNode({ id: 'bob', ...net.nodePorts('bob'), secret: SECRET });
    const onAlice = (await alice.channel('c')).stream('s');
    for (let i = 0; i < 5; i++) await onAlice.append(text.encode(`line ${i}`));
    let onBob = (await bob.channel('c')).stream('s');
    expect(await net.runUntil(() => onBob.size === 5, { timeout: 10_000 })).toBe(true);

    // Bob restarts on his disk; alice leaves for good, so only bob can serve her entries.
    await alice.dispose();
    net.crash('bob');
    net.restart('bob');
    bob = await createNode({ id: 'bob', ...net.nodePorts('bob'), secret: SECRET });
    onBob = (await bob.channel('c')).stream('s');
    expect(onBob.size).toBe(5);
    const carol = await createNode({ id: 'carol', ...net.nodePorts('carol'), secret: SECRET });
    const onCarol = (await carol.channel('c')).stream('s');
    expect(await net.runUntil(() => onCarol.size === 5, { timeout: 20_000 })).toBe(true);
    expect(onCarol.getAll().map((entry) => entry.author)).toEqual(Array(5).fill('alice'));
  });

  it('own entries whose proof was not stored are signed again when the node opens', async () => {
    const net = new SimulatedNetwork({ seed: 22, latency: 3 });
    let alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret: SECRET });
    const onAlice = (await alice.channel('c')).stream('s');
    for (let i = 0; i < 3; i++) await onAlice.append(text.encode(`line ${i}`));
    await alice.dispose();
    // As after a crash between an append and its proof, or a store from before proofs.
    const storage = net.storage('alice');
    for await (const [key] of storage.scan(channelPrefix(RecordKind.StreamProof, 'c')))
      await storage.delete(key);
    alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret: SECRET });
    expect((await alice.channel('c')).stream('s').size).toBe(3);
    const bob = await createNode({ id: 'bob', ...net.nodePorts('bob'), secret: SECRET });
    const onBob = (await bob.channel('c')).stream('s');
    expect(await net.runUntil(() => onBob.size === 3, { timeout: 20_000 })).toBe(true);
  });

  it('a long history whose proofs were lost is proven again every 1024 entries, so a newcomer takes it in parts', async () => {
    const net = new SimulatedNetwork({ seed: 23, latency: 3 });
    let alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret: SECRET });
    const channel = await alice.channel('c');
    await channel.transact(() => {
      for (let i = 0; i < 5000; i++) void channel.stream('s').append(text.encode(`line ${i}`));
    });
    await alice.dispose();
    const storage = net.storage('alice');
    for await (const [key] of storage.scan(channelPrefix(RecordKind.StreamProof, 'c')))
      await storage.delete(key);
    alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret: SECRET });
    expect((await alice.channel('c')).stream('s').size).toBe(5000);
    const bob = await createNode({ id: 'bob', ...net.nodePorts('bob'), secret: SECRET });
    const onBob = (await bob.channel('c')).stream('s');
    // One proof at the end only would leave bob waiting: entries more than 4096 ahead of what
    // he shows are not kept, and the proof at 5000 never arrives with its run.
    expect(await net.runUntil(() => onBob.size === 5000, { timeout: 60_000 })).toBe(true);
  });
});
