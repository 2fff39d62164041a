import { createHash } from 'node:crypto';
import type { Coordinator, SharedMap, SharedStream } from '@shoal/core';

/** What a node reports about itself, once per refresh: one row of the live table. */
export interface NodeStatus {
  readonly id: string;
  /** Every other member this node knows, with its SWIM state (`alive`, `suspect`, `dead`, `left`). */
  readonly members: readonly { readonly id: string; readonly state: string }[];
  readonly leader: string;
  readonly keys: number;
  readonly streamLength: number;
  /**
   * A short hash of the map's entries and the stream's order: two replicas show the same
   * digest exactly when they hold the same state, which makes convergence visible at a glance.
   */
  readonly digest: string;
  /** Datagrams (or simulated messages) sent plus received per second, over the last interval. */
  readonly messagesPerSecond: number;
  /** Inbound messages dropped because they failed to authenticate (wrong secret, forgery). */
  readonly authDropped: number;
  /** The reporting process's resident set, in MiB (node processes only). */
  readonly rssMiB?: number;
  /**
   * Node processes, while their writes are off: whether some peer sent a digest and, by each
   * peer's last one, neither side lacks anything (sync has nothing left to exchange), and no
   * write waits for the disk (a write refused on a full disk is retried, then spreads).
   */
  readonly synced?: boolean;
}

/** Hashes a map and a stream into the {@link NodeStatus.digest}: 8 hex digits. */
export function stateDigest(map: SharedMap, stream: SharedStream): string {
  const hash = createHash('sha256');
  // Sorted, because two converged replicas may have received the keys in different orders.
  for (const [key, value] of [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    hash.update(JSON.stringify([key, value]));
  }
  // Payloads too: two replicas holding different entries under one author and seq (a forged
  // one) are not the same state.
  for (const entry of stream.getAll()) hash.update(`|${entry.author}#${entry.seq}=`).update(entry.payload);
  return hash.digest('hex').slice(0, 8);
}

/** Builds a node's {@link NodeStatus}; `messagesPerSecond` comes from its transport's counters. */
export function nodeStatus(
  node: Coordinator,
  map: SharedMap,
  stream: SharedStream,
  messagesPerSecond: number,
): NodeStatus {
  const health = node.health();
  return {
    id: node.id,
    members: node.members().map((member) => ({ id: member.id, state: member.state })),
    leader: node.leader(),
    keys: map.size,
    streamLength: stream.size,
    digest: stateDigest(map, stream),
    messagesPerSecond,
    authDropped: Object.values(health.sealing.dropped).reduce((sum, n) => sum + n, 0),
  };
}
