import type { NodeId } from '../ids/node-id.js';
import { type RandomPort, randomInt } from '../ports/random-port.js';

/**
 * Round-robin probe target selection over a random permutation (SWIM §4.3): every member is
 * probed once per pass, passes are reshuffled, and a member that joins mid-pass is inserted at a
 * uniformly random position among those not yet probed. This bounds the time to first probe of a
 * failed member to 2·N − 1 periods in the worst case, where uniform random choice has no bound.
 */
export class ProbeOrder {
  readonly #random: RandomPort;
  #order: NodeId[] = [];
  #index = 0;
  /** Members to probe before the pass goes on, oldest request first (suspects, Lifeguard §4.3). */
  #urgent: NodeId[] = [];

  constructor(random: RandomPort) {
    this.#random = random;
  }

  /**
   * The next member to probe among those `eligible` accepts; `members` lists all candidates when
   * a new pass starts. Undefined when no member is eligible.
   */
  next(eligible: (id: NodeId) => boolean, members: () => NodeId[]): NodeId | undefined {
    for (let pass = 0; pass < 2; pass++) {
      while (this.#index < this.#order.length) {
        const id = this.#order[this.#index++] as NodeId;
        if (eligible(id)) return id;
      }
      this.#order = this.#shuffle(members().filter(eligible));
      this.#index = 0;
    }
    return undefined;
  }

  /**
   * Asks for `id` to be probed out of turn, before the pass goes on (which still probes it in
   * its own turn): a suspect (see {@link Membership}'s suspicion handling).
   */
  probeNext(id: NodeId): void {
    if (!this.#urgent.includes(id)) this.#urgent.push(id);
  }

  /** The oldest out-of-turn request that `eligible` still accepts, if any; consumes it. */
  nextUrgent(eligible: (id: NodeId) => boolean): NodeId | undefined {
    while (this.#urgent.length > 0) {
      const id = this.#urgent.shift() as NodeId;
      if (eligible(id)) return id;
    }
    return undefined;
  }

  /** Inserts a newly joined member at a random position in the rest of the current pass. */
  add(id: NodeId): void {
    const position = this.#index + randomInt(this.#random, this.#order.length - this.#index + 1);
    this.#order.splice(position, 0, id);
  }

  #shuffle(ids: NodeId[]): NodeId[] {
    for (let i = ids.length - 1; i > 0; i--) {
      const j = randomInt(this.#random, i + 1);
      [ids[i], ids[j]] = [ids[j] as NodeId, ids[i] as NodeId];
    }
    return ids;
  }
}
