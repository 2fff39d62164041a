import type { NodeId } from '@shoal/core';

/**
 * Why a message did not arrive: random `loss`, a `partition` or one-way `block` between the
 * two nodes, a `crash` of either end while it was in flight, or no open port at the
 * destination (`unreachable`).
 */
export type DropReason = 'loss' | 'partition' | 'block' | 'crash' | 'unreachable';

/**
 * One step in the life of a message, reported to `onTrace` listeners. Two runs with the same
 * seed and the same operations report identical sequences of entries.
 */
export type TraceEntry =
  | {
      readonly type: 'send';
      readonly time: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly size: number;
    }
  | {
      readonly type: 'deliver';
      readonly time: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly size: number;
    }
  | {
      readonly type: 'drop';
      readonly time: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly size: number;
      readonly reason: DropReason;
    };
