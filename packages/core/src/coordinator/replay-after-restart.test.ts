import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import type { StreamEntry } from '../crdt/event-log.js';
import type { NodeId } from '../ids/node-id.js';
import { encodeEnvelope } from '../protocol/envelope.js';
import { MessageType } from '../protocol/message-type.js';
import { encodeDelta } from '../protocol/sync-codec.js';
import { MAX_EPOCH, MAX_EPOCH_STEP, MessageSealer } from '../security/message-sealer.js';
import { signedStream } from '../test-support/signed-stream.js';
import type { Coordinator } from './coordinator.js';
import { createNode } from './create-node.js';

const HAND_KEY = new Uint8Array(32).fill(9);

/** A hand-driven peer: seals deltas of one stream entry each with the boot epoch asked for. */
function handPeer(net: SimulatedNetwork, id: string) {
  const port = net.connect(id);
  let seq = 0;
  const written: StreamEntry[] = [];
  const sealers = new Map<number, MessageSealer>();
  const envelope = (to: string, epoch: number) => {
    let sealer = sealers.get(epoch);
    if (sealer === undefined) {
      sealer = new MessageSealer({ networkId: 'shoal', self: id as NodeId, epoch, keyring: 'open' });
      sealers.set(epoch, sealer);
    }
    seq++;
    written.push({
      author: id as NodeId,
      seq,
      wall: Date.UTC(2026, 0, 1),
      counter: seq,
      payload: Uint8Array.of(seq),
    });
    // Signed as its author signs it (ADR 0054): the receiver shows only what a proof covers.
    const entry = signedStream('s', written, HAND_KEY).at(-1) as StreamEntry;
    const body = encodeDelta(
      {
        channel: 'c',
        push: true,
        final: false,
        fresh: false,
        objects: [
          {
            kind: 'stream',
            name: 's',
            entries: [entry],
          },
        ],
      },
      { sender: id as NodeId, receiver: to as NodeId },
    );
    return sealer.seal(encodeEnvelope(MessageType.Delta, body));
  };
  return { send: (to: string, bytes: Uint8Array) => port.send(to as NodeId, bytes), envelope };
}

const dropped = (node: Coordinator, reason: 'replay' | 'implausible-epoch') =>
  node.health().sealing.dropped[reason];

describe('replay protection across restarts (issue 14, item 5)', () => {
  it('refuses, after a crash and restart, a datagram captured before it', async () => {
    const net = new SimulatedNetwork({ seed: 9, latency: 2 });
    const boot = () => createNode({ id: 'victim', ...net.nodePorts('victim') });
    let victim = await boot();
    await victim.channel('c');
    const peer = handPeer(net, 'mallory');
    const captured = peer.envelope('victim', 1);
    peer.send('victim', captured);
    await net.runFor(6_000); // past one save of the replay floors
    peer.send('victim', captured);
    await net.runFor(100);
    expect(dropped(victim, 'replay')).toBe(1);

    net.crash('victim');
    net.restart('victim');
    victim = await boot();
    await victim.channel('c');
    peer.send('victim', captured);
    await net.runFor(100);
    expect(dropped(victim, 'replay')).toBe(1);
    // The peer's live traffic is still heard.
    peer.send('victim', peer.envelope('victim', 1));
    await net.runFor(100);
    expect((await victim.channel('c')).stream('s').size).toBe(2);
  });

  it('refuses epochs a restarting node cannot reach, so a keyed impersonator cannot cut a peer off', async () => {
    const net = new SimulatedNetwork({ seed: 10, latency: 2 });
    const victim = await createNode({ id: 'victim', ...net.nodePorts('victim') });
    await victim.channel('c');
    const peer = handPeer(net, 'alice');
    const deliver = async (epoch: number) => {
      peer.send('victim', peer.envelope('victim', epoch));
      await net.runFor(50);
    };
    await deliver(1);
    await deliver(1 + MAX_EPOCH_STEP + 1); // a jump no restart makes
    await deliver(MAX_EPOCH + 1); // beyond any epoch
    expect(dropped(victim, 'implausible-epoch')).toBe(2);
    await deliver(2); // a real restart
    await deliver(3); // a second rise within a second
    expect(dropped(victim, 'implausible-epoch')).toBe(3);
    await net.runFor(1_000);
    await deliver(3);
    // Accepted: epoch 1, the rise to 2, and the rise to 3 once a second had passed.
    expect(victim.health().sealing.opened).toBe(3);
  });
});
