import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../codec/encode-value.js';
import { ErrorCode } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { encodeEnvelope } from '../protocol/envelope.js';
import { MessageType } from '../protocol/message-type.js';
import { Keyring } from '../security/keyring.js';
import { forgedSource } from '../test-support/forged-source.js';
import { pushEnvelope } from '../test-support/hostile-peer.js';
import { keyedSealer } from '../test-support/paired-peer.js';
import { createNode } from './create-node.js';
import { encodeHello } from './key-exchange.js';

const SECRET = new Uint8Array(32).fill(5);

/** A delta pushing one map entry `key` written (it says) by `sender`, from `sender` to `receiver`. */
function forgedDelta(sender: string, receiver: string, key: string): Uint8Array {
  const value = 'forged';
  const entry = { key, value, wall: Date.UTC(2026, 0, 1), counter: 0, writer: sender as NodeId };
  return pushEnvelope(sender, receiver, 'c', [
    { kind: 'map', name: 'm', proofs: [], ghosts: [], entries: [{ entry, valueBytes: encodeValue(value) }] },
  ]);
}

describe('a holder of the network secret posing as another node (pair sealing, ADR 0045)', () => {
  it('is refused whatever it seals with, and the node it poses as is still heard', async () => {
    const net = new SimulatedNetwork({ seed: 7, latency: 2 });
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret: SECRET });
    const ports = net.nodePorts('bob');
    const deliverAs = forgedSource(ports.port);
    const bob = await createNode({ id: 'bob', ...ports, secret: SECRET });
    const errors: { code: string; message: string }[] = [];
    bob.errors.subscribe((error) => errors.push({ code: error.code, message: error.message }));
    const onBob = (await bob.channel('c')).map('m');
    await (await alice.channel('c')).map('m').set('real', 1);
    expect(await net.runUntil(() => onBob.get('real') === 1, { timeout: 10_000 })).toBe(true);
    expect(bob.members().find((member) => member.id === 'alice')?.publicKey).toEqual(alice.publicKey);

    // Mallory holds the secret and a key of her own, and claims alice's id.
    const { keys, sealer: mallory } = keyedSealer('alice', new Keyring('shoal', [SECRET]), () => net.now(), {
      epoch: 99,
    });
    keys.offer('bob' as NodeId, bob.publicKey);
    // Sealed under the network key: authentic as from a holder of the secret, not from alice.
    deliverAs('alice', mallory.seal(forgedDelta('alice', 'bob', 'unpaired')));
    // Pair-sealed with her own key: bob tries alice's key, and it does not open.
    deliverAs('alice', mallory.seal(forgedDelta('alice', 'bob', 'paired'), 'bob' as NodeId));
    // A hello offering her key for alice's id: refused while alice is heard.
    deliverAs(
      'alice',
      mallory.seal(
        encodeEnvelope(MessageType.Hello, encodeHello({ publicKey: keys.publicKey, wantsReply: true })),
      ),
    );
    deliverAs('alice', mallory.seal(forgedDelta('alice', 'bob', 'after-hello'), 'bob' as NodeId));
    await net.runFor(500);

    expect(onBob.has('unpaired') || onBob.has('paired') || onBob.has('after-hello')).toBe(false);
    const refusals = errors
      .filter((error) => error.code === ErrorCode.AuthFailed)
      .map((error) => error.message);
    expect(refusals.some((message) => message.includes('not pair-sealed'))).toBe(true);
    expect(refusals.some((message) => message.includes('refused a new key for alice'))).toBe(true);
    expect(bob.health().sealing.dropped['auth-failed']).toBeGreaterThanOrEqual(2);
    expect(bob.health().unpaired).toBe(1);
    expect(bob.health().refusedKeys).toBe(1);
    // Alice herself is still heard, under the key she always had.
    await (await alice.channel('c')).map('m').set('real', 2);
    expect(await net.runUntil(() => onBob.get('real') === 2, { timeout: 10_000 })).toBe(true);
    expect(bob.members().find((member) => member.id === 'alice')?.publicKey).toEqual(alice.publicKey);
  });

  it('two nodes that never met exchange keys on first contact and sync pair-sealed', async () => {
    const net = new SimulatedNetwork({ seed: 8, latency: 5 });
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret: SECRET });
    const bob = await createNode({ id: 'bob', ...net.nodePorts('bob'), secret: SECRET });
    await (await alice.channel('c')).map('m').set('k', 'v');
    const onBob = (await bob.channel('c')).map('m');
    expect(await net.runUntil(() => onBob.get('k') === 'v', { timeout: 10_000 })).toBe(true);
    for (const [node, peer] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      expect(node.members().find((member) => member.id === peer.id)?.publicKey).toEqual(peer.publicKey);
      // Everything but the hellos went pair-sealed: nothing was dropped as unpaired or unknown.
      expect(node.health().sealing.dropped['auth-failed']).toBe(0);
      expect(node.stats().traffic.sent.hello.messages).toBeLessThanOrEqual(2);
    }
  });
});
