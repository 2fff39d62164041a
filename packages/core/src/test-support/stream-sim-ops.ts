import fc from 'fast-check';
import type { StreamEntry } from '../crdt/event-log.js';

/** What the stream property tests do besides their attack: append, let time pass, cut, heal. */
export type StreamNetOp =
  | { kind: 'append'; node: number; payload: number }
  | { kind: 'run'; ms: number }
  | { kind: 'partition'; cut: number }
  | { kind: 'heal' };

/**
 * {@link StreamNetOp}s over 4 honest nodes, weighted as the attack tests mix them in; `payloads`
 * bounds an append's payload byte (so a test can keep a byte for forgeries).
 */
export function streamNetOps(
  payloads = 255,
): Array<{ weight: number; arbitrary: fc.Arbitrary<StreamNetOp> }> {
  return [
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('append' as const),
        node: fc.nat(3),
        payload: fc.nat(payloads),
      }),
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
  ];
}

/** An entry as one line of a failure message: `author:seq@wall.counter=payload bytes`. */
export function showEntry(entry: StreamEntry): string {
  return `${entry.author}:${entry.seq}@${entry.wall}.${entry.counter}=${[...entry.payload].join(',')}`;
}
