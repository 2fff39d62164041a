import { fcParams } from '@shoal/testkit';
import { SimulatedNetwork } from '@shoal/transport-memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEntry } from '../crdt/event-log.js';
import { ErrorCode } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { isSelfCertifyingId } from '../ids/self-certifying-id.js';
import { MessageType } from '../protocol/message-type.js';
import { encodeDelta } from '../protocol/sync-codec.js';
import { Keyring } from '../security/keyring.js';
import { pairedPeer } from '../test-support/paired-peer.js';
import { signedStream } from '../test-support/signed-stream.js';
import { showEntry } from '../test-support/stream-sim-ops.js';
import { createNode } from './create-node.js';

const SECRET = new Uint8Array(32).fill(8);
const MALLORY_KEY = new Uint8Array(32).fill(77);
const FORGED = 0xff;

describe('authors a node never met (self-certifying ids, ADR 0055; simulated, sealed)', () => {
  it("take no forged history from a keyed member, and show the author's real one from a relay", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom('own-key', 'author-key'),
        fc.boolean(),
        async (seed, real, forgedCount, disguise, replay) => {
          const net = new SimulatedNetwork({ seed, latency: { min: 1, max: 10 } });
          // The author takes no id: it is named by its key.
          const author = await createNode({
            port: (id) => net.connect(id),
            timers: net.timersFor('author'),
            secret: SECRET,
          });
          expect(isSelfCertifyingId(author.id)).toBe(true);
          const relay = await createNode({ id: 'relay', ...net.nodePorts('relay'), secret: SECRET });
          const relayStream = (await relay.channel('c')).stream('s');
          const authorStream = (await author.channel('c')).stream('s');
          for (let i = 0; i < real; i++) void authorStream.append(Uint8Array.of(i));
          expect(await net.runUntil(() => relayStream.size === real, { timeout: 30_000 })).toBe(true);
          // The author leaves for good before the newcomer exists: they never meet.
          await author.dispose();
          await net.runFor(2000);

          const newcomer = await createNode({ id: 'newcomer', ...net.nodePorts('newcomer'), secret: SECRET });
          const stream = (await newcomer.channel('c')).stream('s');
          net.partition(['relay'], ['newcomer', 'mallory']);
          // A member that holds the secret sends a history in the author's name, signed with her
          // own key: the proof names her key, or the author's (which her signature does not match).
          const mallory = pairedPeer(net, 'mallory', new Keyring('shoal', [SECRET]), MALLORY_KEY);
          const history: StreamEntry[] = [];
          for (let seq = 1; seq <= forgedCount; seq++)
            history.push({
              author: author.id,
              seq,
              // Stamped like the author's own entries (the node's clock, not the network's).
              wall: (relayStream.getAll()[0] as StreamEntry).wall + seq,
              counter: seq,
              payload: Uint8Array.of(FORGED, seq),
            });
          const entries = signedStream('s', history, MALLORY_KEY).map((entry) =>
            disguise === 'author-key' && entry.proof !== undefined
              ? { ...entry, proof: { ...entry.proof, publicKey: author.publicKey } }
              : entry,
          );
          const forge = () =>
            mallory.send(
              'newcomer',
              newcomer.publicKey,
              MessageType.Delta,
              encodeDelta(
                {
                  channel: 'c',
                  push: true,
                  final: false,
                  fresh: false,
                  objects: [{ kind: 'stream', name: 's', entries }],
                },
                { sender: 'mallory' as NodeId, receiver: 'newcomer' as NodeId },
              ),
            );
          forge();
          // Again once her hello surely arrived: the first may overtake it and be dropped.
          await net.runFor(50);
          forge();
          await net.runFor(1000);
          expect(stream.size).toBe(0);
          net.heal();
          if (replay) forge();
          const same = () =>
            stream.getAll().map(showEntry).join(' ') === relayStream.getAll().map(showEntry).join(' ');
          const message = `seed ${seed}: ${stream.getAll().map(showEntry).join(' ')}`;
          expect(await net.runUntil(same, { timeout: 30_000 }), message).toBe(true);
          expect(stream.size, message).toBe(real);
          expect(
            stream.getAll().filter((entry) => entry.payload[0] === FORGED),
            message,
          ).toEqual([]);
          expect(newcomer.health().errors[ErrorCode.AuthFailed] ?? 0, message).toBeGreaterThan(0);
          await Promise.all([relay, newcomer].map((node) => node.dispose({ leave: false }).catch(() => {})));
        },
      ),
      fcParams({ numRuns: 15 }),
    );
  }, 120_000);
});
