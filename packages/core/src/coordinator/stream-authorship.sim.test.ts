import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEntry } from '../crdt/event-log.js';
import { ErrorCode } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { MessageType } from '../protocol/message-type.js';
import { encodeDelta } from '../protocol/sync-codec.js';
import { attackedCluster } from '../test-support/attacked-cluster.js';
import { signedStream } from '../test-support/signed-stream.js';
import { type StreamNetOp, showEntry, streamNetOps } from '../test-support/stream-sim-ops.js';
import type { SharedStream } from './shared-stream.js';

const HONEST = ['n0', 'n1', 'n2', 'n3'];
const SECRET = new Uint8Array(32).fill(6);
const MALLORY_KEY = new Uint8Array(32).fill(66);
/** Every payload the hostile member makes up starts with this byte; honest ones never do. */
const FORGED = 0xff;

/** How the hostile member dresses a forged entry. */
type Disguise =
  /** No proof at all. */
  | 'unsigned'
  /** Signed with its own key, which the proof names: valid, but not the author's. */
  | 'own-key'
  /** Signed with its own key, the proof naming the author's real key. */
  | 'author-key'
  /** A run from seq 1 rewritten, signed with its own key: a whole forged history. */
  | 'history';

type Op =
  | {
      kind: 'forge';
      author: number;
      ahead: number;
      to: readonly boolean[];
      disguise: Disguise;
      again: boolean;
    }
  | StreamNetOp;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('forge' as const),
      author: fc.nat(3),
      ahead: fc.integer({ min: -3, max: 2 }),
      to: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      disguise: fc.constantFrom<Disguise>('unsigned', 'own-key', 'author-key', 'history'),
      // Sent twice, the second time later: a replay of its own forgery.
      again: fc.boolean(),
    }),
  },
  ...streamNetOps(254),
);

describe('a keyed member writing in other authors names (ADR 0054, simulated, sealed)', () => {
  it('gets no forged entry onto any honest replica, and honest replicas stay identical', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(opArb, { minLength: 5, maxLength: 40 }), async (seed, ops) => {
        // The member attacks a cluster that formed: each node has met the others.
        const cluster = await attackedCluster(seed, HONEST, SECRET, MALLORY_KEY, async (node) =>
          (await node.channel('c')).stream('s'),
        );
        const { net, nodes, mallory } = cluster;
        const streams: SharedStream[] = cluster.objects;
        const forge = (to: number, entries: StreamEntry[]) => {
          const node = nodes[to];
          if (node === undefined) return;
          const body = encodeDelta(
            {
              channel: 'c',
              push: true,
              final: false,
              fresh: false,
              objects: [{ kind: 'stream', name: 's', entries }],
            },
            { sender: 'mallory' as NodeId, receiver: HONEST[to] as NodeId },
          );
          mallory.send(HONEST[to] as string, node.publicKey, MessageType.Delta, body);
        };
        const later: Array<() => void> = [];
        let forged = 0;
        for (const op of ops) {
          if (op.kind === 'append') void streams[op.node]?.append(Uint8Array.of(op.payload));
          else if (op.kind === 'run') {
            await net.runFor(op.ms);
            for (const replay of later.splice(0)) replay();
          } else if (op.kind === 'partition')
            net.partition(HONEST.slice(0, op.cut), [...HONEST.slice(op.cut), 'mallory']);
          else if (op.kind === 'heal') net.heal();
          else {
            const author = HONEST[op.author] as NodeId;
            const real = (streams[op.author] as SharedStream).getAll().filter((e) => e.author === author);
            const seq = Math.max(1, real.length + op.ahead);
            // The author's real entries before the forgery (so the chain is right up to it),
            // then forged ones up to `seq`; a forged history starts at seq 1.
            const first = op.disguise === 'history' ? 1 : Math.min(seq, real.length + 1);
            const history: StreamEntry[] = real.slice(0, first - 1).map((entry) => ({ ...entry }));
            for (let s = first; s <= seq; s++)
              history.push({
                author,
                seq: s,
                wall: net.now(),
                counter: s,
                payload: Uint8Array.of(FORGED, s),
              });
            let entries = history;
            if (op.disguise !== 'unsigned') entries = signedStream('s', history, MALLORY_KEY);
            if (op.disguise === 'author-key') {
              const authorKey = (nodes[op.author] as (typeof nodes)[number]).publicKey;
              entries = entries.map((entry) =>
                entry.proof === undefined
                  ? entry
                  : { ...entry, proof: { ...entry.proof, publicKey: authorKey } },
              );
            }
            const sent = entries.filter((entry) => entry.seq >= first);
            HONEST.forEach((_, index) => {
              if (!op.to[index]) return;
              forge(index, sent);
              if (op.again) later.push(() => forge(index, sent));
            });
            forged++;
          }
        }
        net.heal();
        const views = () => streams.map((stream) => stream.getAll().map(showEntry).join(' '));
        const same = () => new Set(views()).size === 1;
        const settled = await net.runUntil(same, { timeout: 60_000 });
        const refused = nodes.reduce(
          (sum, node) => sum + (node.health().errors[ErrorCode.AuthFailed] ?? 0),
          0,
        );
        const message = `seed ${seed}, ${forged} forged, ${refused} refusals reported:\n${views().join('\n')}`;
        expect(settled, message).toBe(true);
        for (const stream of streams) {
          expect(
            stream.getAll().filter((entry) => entry.payload[0] === FORGED),
            message,
          ).toEqual([]);
        }
        const ids = (streams[0] as SharedStream).getAll().map((entry) => `${entry.author}:${entry.seq}`);
        expect(new Set(ids).size, message).toBe(ids.length);
        await Promise.all(nodes.map((node) => node.dispose({ leave: false }).catch(() => {})));
      }),
      fcParams({ numRuns: 30 }),
    );
  }, 300_000);
});
