import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../codec/encode-value.js';
import type { NodeId } from '../ids/node-id.js';
import { encodeEnvelope } from '../protocol/envelope.js';
import { MessageType } from '../protocol/message-type.js';
import { Keyring } from '../security/keyring.js';
import { forgedSource } from '../test-support/forged-source.js';
import { pushEnvelope } from '../test-support/hostile-peer.js';
import { keyedSealer } from '../test-support/paired-peer.js';
import type { Coordinator } from './coordinator.js';
import { createNode } from './create-node.js';
import { encodeHello } from './key-exchange.js';
import { decodePeerKeys, encodePeerKeys } from './peer-keys-keeper.js';

const SECRET = new Uint8Array(32).fill(9);

/** Bob on the simulated network, and a way to deliver bytes to him as if from any id. */
async function openBob(net: SimulatedNetwork): Promise<{
  bob: Coordinator;
  deliverAs: (from: string, bytes: Uint8Array) => void;
}> {
  const ports = net.nodePorts('bob');
  const deliverAs = forgedSource(ports.port);
  const bob = await createNode({ id: 'bob', ...ports, secret: SECRET });
  return { bob, deliverAs };
}

describe('peer keys kept across a restart (ADR 0045)', () => {
  it('opens a known peer’s messages at once after a restart, and refuses an impostor in the window before it speaks', async () => {
    const net = new SimulatedNetwork({ seed: 11, latency: 2 });
    const alice = await createNode({ id: 'alice', ...net.nodePorts('alice'), secret: SECRET });
    const onAlice = (await alice.channel('c')).map('m');
    let { bob, deliverAs } = await openBob(net);
    let onBob = (await bob.channel('c')).map('m');
    await onAlice.set('before', 1);
    expect(await net.runUntil(() => onBob.get('before') === 1, { timeout: 10_000 })).toBe(true);

    await bob.stop();
    net.crash('bob');
    net.restart('bob');
    ({ bob, deliverAs } = await openBob(net));
    onBob = (await bob.channel('c')).map('m');

    // Mallory holds the secret and a key of her own and claims alice's id to the restarted bob:
    // a hello with her key, then a delta pair-sealed with it. Without the kept binding her key
    // would be the only one bob knows for alice, and her delta would open and bind it.
    const { keys, sealer: mallory } = keyedSealer('alice', new Keyring('shoal', [SECRET]), () => net.now(), {
      epoch: 99,
    });
    keys.offer('bob' as NodeId, bob.publicKey);
    deliverAs(
      'alice',
      mallory.seal(
        encodeEnvelope(MessageType.Hello, encodeHello({ publicKey: keys.publicKey, wantsReply: false })),
      ),
    );
    const entry = {
      key: 'forged',
      value: 1,
      wall: Date.UTC(2026, 0, 1),
      counter: 0,
      writer: 'alice' as NodeId,
    };
    deliverAs(
      'alice',
      mallory.seal(
        pushEnvelope('alice', 'bob', 'c', [
          {
            kind: 'map',
            name: 'm',
            proofs: [],
            ghosts: [],
            entries: [{ entry, valueBytes: encodeValue(1) }],
          },
        ]),
        'bob' as NodeId,
      ),
    );
    await net.runFor(200);
    expect(onBob.has('forged')).toBe(false);
    expect(bob.health().refusedKeys).toBe(1);

    // Alice's own messages open at first sight: no unknown-key drop, no hello round trip first.
    await onAlice.set('after', 2);
    expect(await net.runUntil(() => onBob.get('after') === 2, { timeout: 10_000 })).toBe(true);
    expect(bob.health().sealing.dropped['unknown-peer-key']).toBe(0);
  });

  it('round-trips its record and refuses damaged bytes without throwing', () => {
    const bindings: Array<[NodeId, Uint8Array]> = [
      ['alice' as NodeId, new Uint8Array(32).fill(1)],
      ['0123456789abcdef0123456789abcdef' as NodeId, new Uint8Array(32).fill(2)],
    ];
    const bytes = encodePeerKeys(bindings);
    expect(decodePeerKeys(bytes)).toEqual({ ok: true, value: bindings });
    for (let cut = 0; cut < bytes.length; cut++)
      expect(decodePeerKeys(bytes.subarray(0, cut)).ok).toBe(false);
    expect(decodePeerKeys(Uint8Array.of(0xff, 0xff, 0xff, 0x7f)).ok).toBe(false);
  });
});
