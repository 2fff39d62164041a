import { fcParams } from '@shoal/testkit';
import { SimulatedNetwork } from '@shoal/transport-memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { hostilePeer } from '../test-support/hostile-peer.js';
import { type StreamNetOp, showEntry, streamNetOps } from '../test-support/stream-sim-ops.js';
import { createNode } from './create-node.js';
import type { SharedStream } from './shared-stream.js';

const HONEST = ['n0', 'n1', 'n2', 'n3'];

type Op =
  | { kind: 'forge'; author: number; ahead: number; to: readonly boolean[]; payload: number[]; back: number }
  | StreamNetOp;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    // A forged entry in an honest author's name at a seq it holds or is about to append, sent to
    // any subset of nodes (to several at once: the same forgery; one by one: an equivocation).
    arbitrary: fc.record({
      kind: fc.constant('forge' as const),
      author: fc.nat(3),
      ahead: fc.integer({ min: -4, max: 1 }),
      to: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      payload: fc.array(fc.nat(255), { maxLength: 3 }),
      back: fc.nat(60_000),
    }),
  },
  ...streamNetOps(),
);

describe('a keyed peer forging and equivocating stream entries (simulated)', () => {
  it('cannot split honest replicas: each (author, seq) ends up with one entry, the same everywhere', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(opArb, { minLength: 5, maxLength: 40 }), async (seed, ops) => {
        const net = new SimulatedNetwork({ seed, latency: { min: 1, max: 10 } });
        const nodes = await Promise.all(HONEST.map((id) => createNode({ id, ...net.nodePorts(id) })));
        const streams: SharedStream[] = [];
        for (const node of nodes) streams.push((await node.channel('c')).stream('s'));
        const conflicts = () =>
          nodes.reduce((sum, node) => sum + (node.health().errors[ErrorCode.StreamConflict] ?? 0), 0);
        const forge = hostilePeer(net, 'mallory');
        let forged = 0;
        for (const op of ops) {
          if (op.kind === 'append') void streams[op.node]?.append(Uint8Array.of(op.payload));
          else if (op.kind === 'run') await net.runFor(op.ms);
          else if (op.kind === 'partition')
            net.partition(HONEST.slice(0, op.cut), [...HONEST.slice(op.cut), 'mallory']);
          else if (op.kind === 'heal') net.heal();
          else {
            const author = HONEST[op.author] as NodeId;
            const held = Math.max(
              ...streams.map((stream) => stream.getAll().filter((e) => e.author === author).length),
            );
            const seq = Math.max(1, held + op.ahead);
            const entry = {
              author,
              seq,
              wall: net.now() - op.back,
              counter: 0,
              payload: Uint8Array.from(op.payload),
            };
            HONEST.forEach((to, index) => {
              if (op.to[index]) forge(to, 'c', [{ kind: 'stream', name: 's', entries: [entry] }]);
            });
            forged++;
          }
        }
        net.heal();
        const views = () => streams.map((stream) => stream.getAll().map(showEntry).join(' '));
        const same = () => new Set(views()).size === 1;
        const settled = await net.runUntil(same, { timeout: 60_000 });
        const message = `seed ${seed}, ${forged} forged, ${conflicts()} conflicts reported:\n${views().join('\n')}`;
        expect(settled, message).toBe(true);
        const ids = (streams[0] as SharedStream).getAll().map((entry) => `${entry.author}:${entry.seq}`);
        expect(new Set(ids).size, message).toBe(ids.length);
        await Promise.all(nodes.map((node) => node.dispose({ leave: false }).catch(() => {})));
      }),
      fcParams({ numRuns: 40 }),
    );
  }, 300_000);
});
