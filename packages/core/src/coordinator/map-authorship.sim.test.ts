import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_WALL } from '../clock/timestamp.js';
import { encodeValue } from '../codec/encode-value.js';
import { mapEntry } from '../crdt/lww-map.js';
import { ErrorCode } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { MessageType } from '../protocol/message-type.js';
import { encodeDelta, type OutgoingObject } from '../protocol/sync-codec.js';
import { attackedCluster } from '../test-support/attacked-cluster.js';
import { SignedMapWriter } from '../test-support/signed-map.js';
import type { SharedMap } from './shared-map.js';

const HONEST = ['n0', 'n1', 'n2', 'n3'];
const SECRET = new Uint8Array(32).fill(6);
const MALLORY_KEY = new Uint8Array(32).fill(66);
/** Every value the hostile member makes up is a string starting with this; honest ones are numbers. */
const FORGED = 'forged:';

/** How the hostile member dresses writes in an honest writer's name. */
type Disguise =
  /** Entries with no proof at all. */
  | 'unsigned'
  /** A set signed with its own key, which the proof names: valid, but not the writer's. */
  | 'own-key'
  /** Signed with its own key, the proof naming the writer's real key. */
  | 'writer-key'
  /** No entries: a signed set whose version reaches far ahead (what a forged claim did). */
  | 'claim';

type Op =
  | { kind: 'set'; node: number; key: number; value: number }
  | { kind: 'delete'; node: number; key: number }
  | { kind: 'run'; ms: number }
  | { kind: 'partition'; cut: number }
  | { kind: 'heal' }
  | {
      kind: 'forge';
      writer: number;
      key: number;
      to: readonly boolean[];
      disguise: Disguise;
      again: boolean;
    };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      node: fc.nat(3),
      key: fc.nat(7),
      value: fc.nat(1000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), node: fc.nat(3), key: fc.nat(7) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 1, max: 1500 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('partition' as const), cut: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('forge' as const),
      writer: fc.nat(3),
      key: fc.nat(7),
      to: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      disguise: fc.constantFrom<Disguise>('unsigned', 'own-key', 'writer-key', 'claim'),
      // Sent twice, the second time later: a replay of its own forgery.
      again: fc.boolean(),
    }),
  },
);

describe('a keyed member writing map entries in other writers names (ADR 0058, simulated, sealed)', () => {
  it('gets no forged entry onto any honest replica, and honest replicas stay identical', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(opArb, { minLength: 5, maxLength: 40 }), async (seed, ops) => {
        // The member attacks a cluster that formed: each node has met the others.
        const cluster = await attackedCluster(seed, HONEST, SECRET, MALLORY_KEY, async (node) =>
          (await node.channel('c')).map('m'),
        );
        const { net, nodes, mallory } = cluster;
        const maps: SharedMap[] = cluster.objects;
        const send = (to: number, object: OutgoingObject) => {
          const node = nodes[to];
          if (node === undefined) return;
          const body = encodeDelta(
            { channel: 'c', push: true, final: false, fresh: false, objects: [object] },
            { sender: 'mallory' as NodeId, receiver: HONEST[to] as NodeId },
          );
          mallory.send(HONEST[to] as string, node.publicKey, MessageType.Delta, body);
        };
        const later: Array<() => void> = [];
        let forged = 0;
        for (const op of ops) {
          if (op.kind === 'set') void maps[op.node]?.set(`k${op.key}`, op.value);
          else if (op.kind === 'delete') void maps[op.node]?.delete(`k${op.key}`);
          else if (op.kind === 'run') {
            await net.runFor(op.ms);
            for (const replay of later.splice(0)) replay();
          } else if (op.kind === 'partition')
            net.partition(HONEST.slice(0, op.cut), [...HONEST.slice(op.cut), 'mallory']);
          else if (op.kind === 'heal') net.heal();
          else {
            const writer = HONEST[op.writer] as NodeId;
            // Stamped ahead of every honest write, so that a forgery taken would win its key.
            const value = `${FORGED}${forged}`;
            const entry = mapEntry(`k${op.key}`, value, net.now() + 10, forged, writer);
            const signer = new SignedMapWriter('m', writer, MALLORY_KEY);
            let object: OutgoingObject =
              op.disguise === 'claim'
                ? signer.write([], { wall: MAX_WALL - 1, counter: 0 })
                : signer.write([{ entry, valueBytes: encodeValue(value) }]);
            if (op.disguise === 'unsigned' && object.kind === 'map') object = { ...object, proofs: [] };
            if (op.disguise === 'writer-key' && object.kind === 'map') {
              const realKey = (nodes[op.writer] as (typeof nodes)[number]).publicKey;
              object = {
                ...object,
                proofs: object.proofs.map((proof) =>
                  proof.kind === 'whole'
                    ? { ...proof, signed: { ...proof.signed, publicKey: realKey } }
                    : proof,
                ),
              };
            }
            const sent = object;
            HONEST.forEach((_, index) => {
              if (!op.to[index]) return;
              send(index, sent);
              if (op.again) later.push(() => send(index, sent));
            });
            forged++;
          }
        }
        net.heal();
        // Sorted: two replicas may have learnt the same keys in different orders.
        const views = () => maps.map((map) => JSON.stringify(Object.entries(map.toObject()).sort()));
        const same = () => new Set(views()).size === 1;
        const settled = await net.runUntil(same, { timeout: 60_000 });
        const refused = nodes.reduce(
          (sum, node) => sum + (node.health().errors[ErrorCode.AuthFailed] ?? 0),
          0,
        );
        const message = `seed ${seed}, ${forged} forged, ${refused} refusals reported:\n${views().join('\n')}`;
        expect(settled, message).toBe(true);
        for (const map of maps) {
          expect(
            Object.values(map.toObject()).filter(
              (value) => typeof value === 'string' && value.startsWith(FORGED),
            ),
            message,
          ).toEqual([]);
          // Every entry is its writer's: a forged entry would also name a writer that wrote another value.
          for (const key of map.keys()) expect(typeof map.getEntry(key)?.value, message).not.toBe('string');
        }
        await Promise.all(nodes.map((node) => node.dispose({ leave: false }).catch(() => {})));
      }),
      fcParams({ numRuns: 30 }),
    );
  }, 300_000);
});
