import type { NodeId } from '../ids/node-id.js';
import type { TimerPort } from '../ports/timer-port.js';

/**
 * The suspicion timeout bounds for a cluster of `n` members (memberlist's suspicionTimeout;
 * SWIM §4.2 with Lifeguard §4.2): min = α·max(1, log10 n)·probeInterval, max = β·min.
 */
export function suspicionBounds(
  n: number,
  probeInterval: number,
  suspicionMult: number,
  maxTimeoutMult: number,
): { readonly min: number; readonly max: number } {
  const min = suspicionMult * Math.max(1, Math.log10(Math.max(1, n))) * probeInterval;
  return { min, max: maxTimeoutMult * min };
}

/**
 * Lifeguard's dynamic suspicion timeout (Dadgar et al. 2017, §4.2 LHA-Suspicion): the timer
 * starts at `max` and, after c independent confirmations out of k expected, shrinks to
 * `max − (max − min)·log(c+1)/log(k+1)`, never below `min`. Each accuser counts once; the
 * member that started the suspicion is not a confirmation. `onTimeout` runs once, after the
 * timeout measured from the start of the suspicion, unless {@link Suspicion.cancel} ran first.
 */
export class Suspicion {
  readonly #timers: TimerPort;
  readonly #k: number;
  readonly #min: number;
  readonly #max: number;
  readonly #start: number;
  readonly #onTimeout: () => void;
  readonly #accusers = new Set<NodeId>();
  #cancel: () => void;

  constructor(options: {
    readonly timers: TimerPort;
    readonly from: NodeId;
    /** Independent confirmations expected (memberlist: suspicionMult − 2, or 0 in tiny clusters). */
    readonly k: number;
    readonly min: number;
    readonly max: number;
    readonly onTimeout: () => void;
  }) {
    this.#timers = options.timers;
    this.#k = options.k;
    this.#min = options.min;
    this.#max = options.k < 1 ? options.min : options.max;
    this.#onTimeout = options.onTimeout;
    this.#accusers.add(options.from);
    this.#start = options.timers.monotonic();
    this.#cancel = options.timers.setTimeout(options.onTimeout, this.#max);
  }

  /** Confirmations counted so far. */
  get confirmations(): number {
    return this.#accusers.size - 1;
  }

  /** The current timeout, from the start of the suspicion. */
  get timeout(): number {
    if (this.#k < 1) return this.#min;
    const fraction = Math.log(this.confirmations + 1) / Math.log(this.#k + 1);
    return Math.max(this.#min, Math.floor(this.#max - (this.#max - this.#min) * fraction));
  }

  /**
   * Records an accusation by `from`. Returns true when it is a new independent confirmation
   * (which the caller re-gossips, as memberlist does), false for a repeat or once k are in.
   */
  confirm(from: NodeId): boolean {
    if (this.confirmations >= this.#k || this.#accusers.has(from)) return false;
    this.#accusers.add(from);
    this.#cancel();
    const remaining = this.timeout - (this.#timers.monotonic() - this.#start);
    this.#cancel = this.#timers.setTimeout(this.#onTimeout, Math.max(0, remaining));
    return true;
  }

  /** Stops the timer (the member refuted, was declared dead or left). Idempotent. */
  cancel(): void {
    this.#cancel();
  }
}
