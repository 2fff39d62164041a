import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { channelMetaKey } from '../persistence/storage-keys.js';
import { writeNodeId } from '../protocol/node-id-codec.js';
import { encodeBase64Url } from '../security/base64url.js';
import { Keyring } from '../security/keyring.js';
import { generateSecret } from '../security/network-secret.js';
import { ByteWriter } from '../wire/byte-writer.js';
import type { Coordinator } from './coordinator.js';
import { createNode } from './create-node.js';

/** alice, bob and carol on one simulated network, each with its own keyring of one secret. */
async function trio(seed: number) {
  const net = new SimulatedNetwork({ seed, latency: { min: 1, max: 5 } });
  const secret = generateSecret();
  const rings = new Map<string, Keyring>();
  const nodes = new Map<string, Coordinator>();
  for (const id of ['alice', 'bob', 'carol']) {
    const ring = new Keyring('shoal', [secret]);
    rings.set(id, ring);
    nodes.set(id, await createNode({ id, ...net.nodePorts(id), secret: ring }));
  }
  const node = (id: string) => nodes.get(id) as Coordinator;
  const map = async (id: string, channel = 'family') => (await node(id).channel(channel)).map('notes');
  return { net, secret, rings, node, map };
}

describe('channel members by public key (ADR 0045)', () => {
  it('syncs a listed channel only among members; a non-member holding the secret gets nothing in or out', async () => {
    const { net, node, map } = await trio(31);
    for (const id of ['alice', 'bob']) {
      const family = await node(id).channel('family');
      await family.addMember(node('alice').publicKey);
      await family.addMember(encodeBase64Url(node('bob').publicKey)); // as text, as members() gives it
    }
    await (await map('alice')).set('from-alice', 1);
    await (await map('bob')).set('from-bob', 2);
    await (await map('carol')).set('from-carol', 3);
    // The other channel is open: carol is an ordinary member of the network.
    await (await map('alice', 'lobby')).set('hello', 'all');
    const onBob = await map('bob');
    const onAlice = await map('alice');
    const onCarol = await map('carol');
    const lobbyOnCarol = await map('carol', 'lobby');
    expect(
      await net.runUntil(
        () =>
          onBob.get('from-alice') === 1 &&
          onAlice.get('from-bob') === 2 &&
          lobbyOnCarol.get('hello') === 'all',
        { timeout: 20_000 },
      ),
    ).toBe(true);
    await net.runFor(5_000);
    expect([...onCarol.keys()]).toEqual(['from-carol']);
    expect(onAlice.has('from-carol') || onBob.has('from-carol')).toBe(false);
    expect((await node('alice').channel('family')).members()).toEqual(
      [node('alice').publicKey, node('bob').publicKey].map(encodeBase64Url),
    );
  });

  it('shuts a removed member out: it gets none of the writes made after, and none of its writes get in', async () => {
    const { net, node, map } = await trio(32);
    for (const id of ['alice', 'bob', 'carol']) {
      const family = await node(id).channel('family');
      for (const member of ['alice', 'bob', 'carol']) await family.addMember(node(member).publicKey);
    }
    await (await map('alice')).set('before', 1);
    const onCarol = await map('carol');
    const onBob = await map('bob');
    expect(await net.runUntil(() => onCarol.get('before') === 1, { timeout: 20_000 })).toBe(true);

    for (const id of ['alice', 'bob'])
      await (await node(id).channel('family')).removeMember(node('carol').publicKey);
    await (await map('alice')).set('after', 2);
    await onCarol.set('carol-after', 3);
    expect(await net.runUntil(() => onBob.get('after') === 2, { timeout: 20_000 })).toBe(true);
    await net.runFor(5_000);
    expect(onCarol.has('after')).toBe(false);
    expect(onBob.has('carol-after') || (await map('alice')).has('carol-after')).toBe(false);
  });

  it('shuts a node out of the whole network when the secret is rotated without it', async () => {
    const { net, rings, node, map } = await trio(33);
    await (await map('alice', 'lobby')).set('before', 1);
    const onCarol = await map('carol', 'lobby');
    const onBob = await map('bob', 'lobby');
    expect(await net.runUntil(() => onCarol.get('before') === 1, { timeout: 20_000 })).toBe(true);

    // The rotation of docs/security.md, on alice and bob only: add, make primary, drop the old.
    const next = generateSecret();
    const ring = (id: string) => rings.get(id) as Keyring;
    for (const id of ['alice', 'bob']) ring(id).add(next);
    for (const id of ['alice', 'bob']) ring(id).setPrimary(next);
    const old = ring('alice').keyIds[0] as number;
    for (const id of ['alice', 'bob']) ring(id).remove(old);

    await (await map('alice', 'lobby')).set('after', 2);
    await onCarol.set('carol-after', 3);
    expect(await net.runUntil(() => onBob.get('after') === 2, { timeout: 20_000 })).toBe(true);
    await net.runFor(5_000);
    expect(onCarol.has('after')).toBe(false);
    expect(onBob.has('carol-after')).toBe(false);
    expect(node('bob').health().sealing.dropped['unknown-key']).toBeGreaterThan(0);
  });

  it('syncs a listed channel between two nodes with no membership protocol at all', async () => {
    const net = new SimulatedNetwork({ seed: 34, latency: 3 });
    const secret = generateSecret();
    const open = (id: string) => createNode({ id, ...net.nodePorts(id), secret, membership: false });
    const [alice, bob] = [await open('alice'), await open('bob')];
    for (const node of [alice, bob]) {
      const family = await node.channel('family');
      for (const member of [alice, bob]) await family.addMember(member.publicKey);
    }
    await (await alice.channel('family')).map('notes').set('k', 'v');
    const onBob = (await bob.channel('family')).map('notes');
    expect(await net.runUntil(() => onBob.get('k') === 'v', { timeout: 20_000 })).toBe(true);
  });

  it('refuses anything but a public key, changing nothing, and keeps the list across a restart', async () => {
    const net = new SimulatedNetwork({ seed: 35, latency: 3 });
    const secret = generateSecret();
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret });
    const family = await alice.channel('family');
    for (const bad of ['bob', new Uint8Array(31), new Uint8Array(32).fill(255), 'not base64url!']) {
      const error = await family.addMember(bad).catch((caught: unknown) => caught);
      expect(isShoalError(error) && error.code).toBe(ErrorCode.InvalidArgument);
    }
    expect(family.members()).toEqual([]);
    await family.addMember(alice.publicKey);
    await alice.dispose({ leave: false });
    net.crash('alice');
    net.restart('alice');
    const again = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret });
    expect((await again.channel('family')).members()).toEqual([encodeBase64Url(alice.publicKey)]);
  });

  it('keeps honouring members listed by node id before members were listed by key, until removed', async () => {
    const net = new SimulatedNetwork({ seed: 36, latency: 3 });
    const legacy = new ByteWriter(16).writeVarint(1);
    writeNodeId(legacy, 'bob' as NodeId);
    await net.storage('alice').put(channelMetaKey('family'), legacy.finish());
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret: generateSecret() });
    const family = await alice.channel('family');
    expect(family.members()).toEqual(['bob']);
    await family.addMember(alice.publicKey);
    expect(family.members()).toEqual([encodeBase64Url(alice.publicKey), 'bob']);
    await family.removeMember('bob');
    expect(family.members()).toEqual([encodeBase64Url(alice.publicKey)]);
  });
});
