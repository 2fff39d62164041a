import { ErrorCode, type NodeId, ShoalError } from '@shoal/core';
import { checkProbability } from './network-options.js';
import type { DropReason } from './trace-entry.js';

/**
 * The network's link-level faults: one partition (groups that cannot reach each other), one-way
 * blocks, and per-link loss overrides. Pure bookkeeping; the network asks it per message.
 */
export class LinkFaults {
  readonly #blocked = new Set<string>();
  readonly #loss = new Map<string, number>();
  #groups: Map<NodeId, number> | undefined;

  /**
   * Replaces the partition. Nodes listed in no group form one more group together.
   *
   * @throws ShoalError `INVALID_ARGUMENT` when a node is listed twice.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    const map = new Map<NodeId, number>();
    groups.forEach((group, index) => {
      for (const id of group) {
        if (map.has(id))
          throw new ShoalError(ErrorCode.InvalidArgument, `node ${id} is in two partition groups`);
        map.set(id, index);
      }
    });
    this.#groups = map;
  }

  /** Cuts the one-way link `from` → `to`. */
  block(from: NodeId, to: NodeId): void {
    this.#blocked.add(linkKey(from, to));
  }

  /** Removes the partition and every block; loss overrides stay. */
  heal(): void {
    this.#groups = undefined;
    this.#blocked.clear();
  }

  /**
   * Overrides the loss probability of `from` → `to`; `undefined` removes the override.
   *
   * @throws ShoalError `INVALID_ARGUMENT` when `p` is not in [0, 1].
   */
  setLoss(from: NodeId, to: NodeId, p: number | undefined): void {
    if (p === undefined) this.#loss.delete(linkKey(from, to));
    else this.#loss.set(linkKey(from, to), checkProbability('link loss', p));
  }

  /** The loss override of `from` → `to`, if any. */
  lossOf(from: NodeId, to: NodeId): number | undefined {
    return this.#loss.size === 0 ? undefined : this.#loss.get(linkKey(from, to));
  }

  /** Why `from` cannot reach `to` right now, or `undefined` when it can. */
  cut(from: NodeId, to: NodeId): DropReason | undefined {
    if (this.#groups !== undefined && (this.#groups.get(from) ?? -1) !== (this.#groups.get(to) ?? -1)) {
      return 'partition';
    }
    return this.#blocked.size > 0 && this.#blocked.has(linkKey(from, to)) ? 'block' : undefined;
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  // A space never occurs in a NodeId, so the key is unambiguous.
  return `${from} ${to}`;
}
