import type { NodeId } from '../ids/node-id.js';
import type { Limits } from './config.js';
import { TokenBucket } from './token-bucket.js';

/** The limit whose budget a peer went over (a field of {@link Limits}). */
export type BudgetLimit = 'peerMessagesPerSecond' | 'peerBytesPerSecond' | 'peerCpuMsPerSecond';

/** Called once when a peer starts being throttled (once per episode, not per message). */
export type ThrottleListener = (peer: NodeId, limit: BudgetLimit) => void;

interface Budget {
  readonly messages: TokenBucket;
  readonly bytes: TokenBucket;
  readonly cpu: TokenBucket;
  /** Whether its last message was refused: the episode already reported. */
  throttled: boolean;
}

/**
 * Rate budgets per authenticated sender: messages, wire bytes and handler time (CPU ms) a
 * second, each a {@link TokenBucket} with the rate and burst of {@link Limits}.
 *
 * Guarantees: a message {@link PeerBudgets.admit} refuses costs nothing but the check; each run
 * of refusals (an episode, ended by an admitted message) calls the listener once; at most
 * `maxPeers` senders are tracked, the least recently heard forgotten first (it starts afresh,
 * with full buckets).
 */
export class PeerBudgets {
  readonly #limits: Limits;
  readonly #onThrottle: ThrottleListener;
  /** In order of last message, oldest first. */
  readonly #budgets = new Map<NodeId, Budget>();
  #refused = 0;

  constructor(limits: Limits, onThrottle: ThrottleListener) {
    this.#limits = limits;
    this.#onThrottle = onThrottle;
  }

  /** Messages refused since the node was created. */
  get refused(): number {
    return this.#refused;
  }

  /**
   * Whether a message of `wireBytes` from `from` may be handled now (monotonic ms), taking its
   * message and bytes from the budget when it may.
   */
  admit(from: NodeId, wireBytes: number, now: number): boolean {
    const budget = this.#touch(from, now);
    const over = overBudget(budget, wireBytes, now);
    if (over !== undefined) {
      this.#refused++;
      if (!budget.throttled) {
        budget.throttled = true;
        this.#onThrottle(from, over);
      }
      return false;
    }
    budget.throttled = false;
    // Both fit, so neither goes into debt.
    budget.messages.charge(1, now);
    budget.bytes.charge(wireBytes, now);
    return true;
  }

  /** Charges `ms` of handler time, measured after the fact, to `from`. */
  chargeCpu(from: NodeId, ms: number, now: number): void {
    if (ms > 0) this.#budgets.get(from)?.cpu.charge(ms, now);
  }

  /** The sender's budget, moved to the newest end; made (full) when it is new. */
  #touch(from: NodeId, now: number): Budget {
    let budget = this.#budgets.get(from);
    if (budget === undefined) {
      const limits = this.#limits;
      budget = {
        messages: new TokenBucket(limits.peerMessagesPerSecond, limits.peerMessageBurst, now),
        bytes: new TokenBucket(limits.peerBytesPerSecond, limits.peerByteBurst, now),
        cpu: new TokenBucket(limits.peerCpuMsPerSecond, limits.peerCpuBurstMs, now),
        throttled: false,
      };
      if (this.#budgets.size >= limits.maxPeers) {
        const oldest = this.#budgets.keys().next().value;
        if (oldest !== undefined) this.#budgets.delete(oldest);
      }
    } else {
      this.#budgets.delete(from);
    }
    this.#budgets.set(from, budget);
    return budget;
  }
}

/** The first budget a message of `wireBytes` does not fit, if any. */
function overBudget(budget: Budget, wireBytes: number, now: number): BudgetLimit | undefined {
  // Handler time is charged after the fact: a sender in debt waits until refill repays it.
  if (!budget.cpu.fits(0, now)) return 'peerCpuMsPerSecond';
  if (!budget.messages.fits(1, now)) return 'peerMessagesPerSecond';
  if (!budget.bytes.fits(wireBytes, now)) return 'peerBytesPerSecond';
  return undefined;
}
