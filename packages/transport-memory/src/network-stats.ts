import type { NodeId } from '@shoal/core';

/** Message counters of one node (or of the whole network, in `totals`). */
export interface NodeStats {
  /** Messages accepted by `send` on this node's port. */
  sent: number;
  /** Messages handed to this node's message handlers (once per delivery, not per handler). */
  delivered: number;
  /** Messages this node sent that never arrived: loss, partition, block, crash, closed port. */
  dropped: number;
  /** Messages this node sent that the network delivered twice. */
  duplicated: number;
  /** Bytes accepted by `send` on this node's port. */
  bytesSent: number;
  /** Bytes handed to this node's message handlers. */
  bytesDelivered: number;
  /** Exceptions thrown by this node's handlers and timer callbacks, contained by the network. */
  errors: number;
}

/** A snapshot of the network's counters; later traffic does not change it. */
export interface NetworkStats {
  /** Per node, for every node the network has seen. */
  readonly nodes: ReadonlyMap<NodeId, Readonly<NodeStats>>;
  /** Sums over all nodes; `errors` also counts callbacks of the shared `timers`. */
  readonly totals: Readonly<NodeStats>;
}

/** A zeroed counter set. */
export function emptyStats(): NodeStats {
  return { sent: 0, delivered: 0, dropped: 0, duplicated: 0, bytesSent: 0, bytesDelivered: 0, errors: 0 };
}

/** Adds every counter of `from` into `into`. */
export function addStats(into: NodeStats, from: Readonly<NodeStats>): void {
  into.sent += from.sent;
  into.delivered += from.delivered;
  into.dropped += from.dropped;
  into.duplicated += from.duplicated;
  into.bytesSent += from.bytesSent;
  into.bytesDelivered += from.bytesDelivered;
  into.errors += from.errors;
}
