import { fcParams } from '@shoal/testkit';
import { SimulatedNetwork } from '@shoal/transport-memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/shoal-error.js';
import { createNode } from './create-node.js';

const SECRET = new Uint8Array(32).fill(9);

type Op =
  | { kind: 'set'; key: number; value: number }
  | { kind: 'delete'; key: number }
  | { kind: 'run'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(5), value: fc.nat(99) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(5) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('run' as const), ms: fc.integer({ min: 1, max: 50 }) }),
  },
);

describe('own writes made with no peer are proven when a peer comes (simulated, sealed)', () => {
  it('a newcomer gets the writer’s latest value of every key, each proven by its signed set', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(opArb, { minLength: 1, maxLength: 40 }), async (seed, ops) => {
        const net = new SimulatedNetwork({ seed, latency: { min: 1, max: 5 } });
        const alone = await createNode({ id: 'a', ...net.nodePorts('a'), secret: SECRET });
        const written = (await alone.channel('c')).map('m');
        // Writes wait unproven (no peer to push to), the same key again and again, deletes too.
        for (const op of ops) {
          if (op.kind === 'set') void written.set(`k${op.key}`, op.value);
          else if (op.kind === 'delete') void written.delete(`k${op.key}`);
          else await net.runFor(op.ms);
        }
        await net.runFor(10);
        const newcomer = await createNode({ id: 'b', ...net.nodePorts('b'), secret: SECRET });
        const read = (await newcomer.channel('c')).map('m');
        // Every key the writer touched, deletes included: each key's value, version and state.
        const view = (map: typeof written) =>
          JSON.stringify(['k0', 'k1', 'k2', 'k3', 'k4', 'k5'].map((key) => map.getEntry(key) ?? null));
        const expected = view(written);
        const settled = await net.runUntil(() => view(read) === expected, { timeout: 30_000 });
        expect(settled, `seed ${seed}: ${view(read)} vs ${expected}`).toBe(true);
        expect(newcomer.health().errors[ErrorCode.AuthFailed] ?? 0).toBe(0);
        await Promise.all([alone.dispose({ leave: false }), newcomer.dispose({ leave: false })]);
      }),
      fcParams({ numRuns: 25 }),
    );
  }, 120_000);
});
