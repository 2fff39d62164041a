import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../src/event-queue.js';

describe('EventQueue', () => {
  it('pops in (time, seq) order whatever the interleaving of pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }), { maxLength: 200 }),
        (ops) => {
          const queue = new EventQueue<{ time: number; seq: number }>();
          const model: { time: number; seq: number }[] = [];
          let seq = 0;
          for (const op of ops) {
            if (op === undefined) {
              model.sort((x, y) => x.time - y.time || x.seq - y.seq);
              expect(queue.pop()).toEqual(model.shift());
            } else {
              const item = { time: op, seq: seq++ };
              queue.push(item);
              model.push(item);
            }
            expect(queue.size).toBe(model.length);
          }
        },
      ),
      fcParams({ numRuns: 300 }),
    );
  });
});
