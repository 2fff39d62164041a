import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WriteQueue } from '../persistence/write-queue.js';
import { FillableStore } from '../test-support/fillable-store.js';
import { DurableBatches } from './durable-batches.js';

const encoder = new TextEncoder();
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('DurableBatches', () => {
  it('hands every write over once, in order, grouped by the storage batch that made it durable, refused batches when they land', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Per step: whether the store is full from then on, and whether the turn ends after it.
        fc.array(fc.record({ full: fc.boolean(), endTurn: fc.boolean() }), { minLength: 1, maxLength: 30 }),
        async (steps) => {
          const store = new FillableStore();
          const queue = new WriteQueue(store, () => {});
          const handed: number[][] = [];
          const batches = new DurableBatches<number>(queue, (batch) => handed.push([...batch]));
          const promiseOf: Promise<void>[] = [];
          for (const [write, step] of steps.entries()) {
            store.full = step.full;
            const durable = queue.write({
              type: 'put',
              key: encoder.encode(`k${write}`),
              value: encoder.encode(String(write)),
            });
            durable.catch(() => {});
            promiseOf.push(durable);
            batches.add(durable, write);
            if (step.endTurn) await settle();
          }
          await settle();
          store.full = false;
          await queue.flush();
          await settle();
          // Exactly once each, in the order written.
          expect(handed.flat()).toEqual(steps.map((_, write) => write));
          // A group is the writes that shared one durability promise (one storage batch).
          for (const group of handed) {
            const first = promiseOf[group[0] as number];
            for (const write of group) expect(promiseOf[write]).toBe(first);
          }
          expect(new Set(handed.map((group) => promiseOf[group[0] as number])).size).toBe(handed.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});
