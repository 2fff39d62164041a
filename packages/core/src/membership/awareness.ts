/**
 * Lifeguard's Local Health Multiplier (Dadgar et al. 2017, §4.1 LHA-Probe): a saturating
 * counter in [0, max) of evidence that *this* node is slow (missed nacks, failed probes,
 * having to refute). Probe interval and timeout are multiplied by `score + 1`, so a node that
 * cannot keep up with its own protocol probes less eagerly and accuses others less readily.
 */
export class Awareness {
  readonly #max: number;
  #score = 0;

  /** `max` is S, the multiplier cap (memberlist's AwarenessMaxMultiplier). */
  constructor(max: number) {
    this.#max = max;
  }

  /** The current score in [0, max). */
  get score(): number {
    return this.#score;
  }

  /** Adds `delta` (negative on success) and clamps the score to [0, max). */
  apply(delta: number): void {
    this.#score = Math.min(this.#max - 1, Math.max(0, this.#score + delta));
  }

  /** `duration × (score + 1)`: a probe interval or timeout adjusted to local health. */
  scale(duration: number): number {
    return duration * (this.#score + 1);
  }
}
