import type { NodeId } from '../ids/node-id.js';
import { encodePiggyback, piggybackOverhead } from './updates.js';

interface Queued {
  readonly bytes: Uint8Array;
  /** Enqueue order: higher is newer. */
  readonly order: number;
  transmits: number;
}

/**
 * Gossip waiting to ride piggyback on outgoing messages (SWIM §4.1 infection-style
 * dissemination), after memberlist's TransmitLimitedQueue:
 * - at most one update per member is queued: a newer update about a member supersedes the
 *   older one, so stale news is never sent after fresh news;
 * - each update is sent at most `limit` times, the caller passing λ·ceil(log10(N+1));
 * - a piggyback takes the least-transmitted updates first and, among equals, the newest,
 *   packing as many as fit in the byte budget.
 */
export class BroadcastQueue {
  readonly #queued = new Map<NodeId, Queued>();
  #order = 0;

  /** Updates waiting to be sent. */
  get size(): number {
    return this.#queued.size;
  }

  /** Queues an encoded update about `node`, replacing any update about it not yet exhausted. */
  enqueue(node: NodeId, bytes: Uint8Array): void {
    this.#queued.set(node, { bytes, order: this.#order++, transmits: 0 });
  }

  /** True while an update about `node` is still being retransmitted. */
  has(node: NodeId): boolean {
    return this.#queued.has(node);
  }

  /** Drops every queued update. */
  clear(): void {
    this.#queued.clear();
  }

  /**
   * Packs queued updates into one piggyback of at most `maxBytes`, counts one transmission for
   * each, and drops those sent `limit` times. Undefined when nothing fits.
   */
  take(maxBytes: number, limit: number): Uint8Array | undefined {
    const budget = maxBytes - piggybackOverhead(this.#queued.size);
    if (budget <= 0 || this.#queued.size === 0) return undefined;
    const candidates = [...this.#queued.entries()].sort(
      ([, a], [, b]) => a.transmits - b.transmits || b.order - a.order,
    );
    const picked: Uint8Array[] = [];
    let used = 0;
    for (const [node, item] of candidates) {
      if (used + item.bytes.length > budget) continue;
      used += item.bytes.length;
      picked.push(item.bytes);
      item.transmits++;
      if (item.transmits >= limit) this.#queued.delete(node);
    }
    return picked.length === 0 ? undefined : encodePiggyback(picked);
  }
}
