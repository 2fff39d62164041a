import type { NodeId } from '../ids/node-id.js';

/** Default width of the anti-replay window in messages (counters behind the newest accepted). */
export const DEFAULT_REPLAY_WINDOW = 1024;
/** Default number of senders whose windows are remembered. */
export const DEFAULT_MAX_TRACKED_SENDERS = 1024;

interface SenderWindow {
  epoch: number;
  /** Highest counter accepted in `epoch`. */
  top: number;
  /** Bit `counter % size` is set when that counter was accepted (RFC 6479 ring layout). */
  readonly seen: Uint32Array;
}

/**
 * Per-sender anti-replay window over (epoch, counter) sequence numbers, after IPsec's
 * (RFC 4303 §3.4.3, with the ring bitmap of RFC 6479). Within the newest epoch seen from a
 * sender, a counter is fresh when it is above the highest accepted, or within `size` below it
 * and not yet accepted; anything older, any earlier epoch, or any repeat is a replay.
 *
 * {@link check} is pure and runs before authentication; {@link accept} moves the window and must
 * only be called after authentication succeeds, so forged packets can never shift it.
 *
 * Memory is bounded: at most `maxSenders` windows of `size` bits. The least recently accepted
 * sender is forgotten first; a forgotten sender's next message is accepted as fresh, so a
 * replay of one of its old messages could be accepted once. That costs only work: every Shoal
 * message is idempotent, so a replay changes no data.
 */
export class ReplayWindow {
  readonly #size: number;
  readonly #maxSenders: number;
  readonly #windows = new Map<NodeId, SenderWindow>();

  /** `size` is rounded up to a multiple of 32 (at least 32); `maxSenders` is at least 1. */
  constructor(options: { readonly size?: number; readonly maxSenders?: number } = {}) {
    this.#size = Math.max(32, Math.ceil((options.size ?? DEFAULT_REPLAY_WINDOW) / 32) * 32);
    this.#maxSenders = Math.max(1, options.maxSenders ?? DEFAULT_MAX_TRACKED_SENDERS);
  }

  /** Most senders remembered. */
  get maxSenders(): number {
    return this.#maxSenders;
  }

  /** Number of senders currently remembered (never above `maxSenders`). */
  get trackedSenders(): number {
    return this.#windows.size;
  }

  /** The newest epoch seen from `sender`, if it is remembered. */
  epochOf(sender: NodeId): number | undefined {
    return this.#windows.get(sender)?.epoch;
  }

  /**
   * Each remembered sender's newest epoch and highest accepted counter, least recently heard
   * first: what a restarted node restores with {@link restore} so old traffic stays a replay.
   */
  floors(): Array<{ sender: NodeId; epoch: number; counter: number }> {
    return [...this.#windows].map(([sender, window]) => ({
      sender,
      epoch: window.epoch,
      counter: window.top,
    }));
  }

  /**
   * Treats everything `sender` sent up to (epoch, counter) as seen, unless a newer window is
   * already held: after a restart, a replay of traffic from before it is still refused.
   */
  restore(sender: NodeId, epoch: number, counter: number): void {
    const window = this.#windows.get(sender);
    if (window !== undefined && (window.epoch > epoch || (window.epoch === epoch && window.top >= counter)))
      return;
    this.#windows.set(sender, {
      epoch,
      top: counter,
      seen: new Uint32Array(this.#size / 32).fill(0xffffffff),
    });
    if (this.#windows.size > this.#maxSenders) {
      const oldest = this.#windows.keys().next();
      if (oldest.done !== true) this.#windows.delete(oldest.value);
    }
  }

  /** True when (epoch, counter) from `sender` would be accepted. Changes nothing. */
  check(sender: NodeId, epoch: number, counter: number): boolean {
    const window = this.#windows.get(sender);
    if (window === undefined || epoch > window.epoch) return true;
    if (epoch < window.epoch) return false;
    if (counter > window.top) return true;
    if (window.top - counter >= this.#size) return false;
    return !isSet(window.seen, counter % this.#size);
  }

  /**
   * Records an authenticated (epoch, counter) as seen and slides the window. The caller has
   * already had {@link check} return true for it.
   */
  accept(sender: NodeId, epoch: number, counter: number): void {
    let window = this.#windows.get(sender);
    if (window === undefined || epoch > window.epoch) {
      window = { epoch, top: counter, seen: new Uint32Array(this.#size / 32) };
    } else if (counter > window.top) {
      // Clear the slots of the counters the window slides over: they are now unseen.
      const steps = Math.min(counter - window.top, this.#size);
      for (let i = 1; i <= steps; i++) clear(window.seen, (window.top + i) % this.#size);
      window.top = counter;
    }
    set(window.seen, counter % this.#size);
    // Re-inserting moves the sender to the back of the Map's order: the front is least recent.
    this.#windows.delete(sender);
    this.#windows.set(sender, window);
    if (this.#windows.size > this.#maxSenders) {
      const oldest = this.#windows.keys().next();
      if (oldest.done !== true) this.#windows.delete(oldest.value);
    }
  }
}

function isSet(bits: Uint32Array, index: number): boolean {
  return (((bits[index >>> 5] as number) >>> (index & 31)) & 1) === 1;
}

function set(bits: Uint32Array, index: number): void {
  bits[index >>> 5] = (bits[index >>> 5] as number) | (1 << (index & 31));
}

function clear(bits: Uint32Array, index: number): void {
  bits[index >>> 5] = (bits[index >>> 5] as number) & ~(1 << (index & 31));
}
