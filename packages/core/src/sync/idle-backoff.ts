/** Rounds at full rate after the last activity, before backing off (let a change finish spreading). */
const FULL_RATE_ROUNDS = 4;

/**
 * Per-channel pacing of anti-entropy rounds. After {@link FULL_RATE_ROUNDS} rounds in which
 * nothing moved, each further quiet round doubles the wait before the next, from `base` up to
 * `max`; any sign of activity restores `base` at once. So a quiet network costs a few digests a
 * second at most, while a change spreads at full speed: every node that took part in it keeps
 * gossiping at the full rate for a few rounds, which is when the stragglers need it.
 */
export class IdleBackoff {
  readonly #base: number;
  readonly #max: number;
  readonly #state = new Map<string, { quiet: number; next: number; moved: boolean }>();

  constructor(base: number, max: number) {
    this.#base = base;
    this.#max = Math.max(base, max);
  }

  /**
   * True when `channel` is due a round at monotonic time `now`; when it is, schedules the next
   * one, further off when nothing has moved for a while.
   */
  due(channel: string, now: number): boolean {
    let state = this.#state.get(channel);
    if (state === undefined) {
      state = { quiet: 0, next: now, moved: true };
      this.#state.set(channel, state);
    }
    // Rounds are jittered around `base`; a quarter of it is slack for that jitter.
    if (now + this.#base / 4 < state.next) return false;
    state.quiet = state.moved ? 0 : state.quiet + 1;
    state.moved = false;
    const doublings = Math.max(0, state.quiet - FULL_RATE_ROUNDS + 1);
    state.next = now + Math.min(this.#max, this.#base * 2 ** Math.min(doublings, 30));
    return true;
  }

  /** Something moved in `channel`: back to full rate. */
  active(channel: string): void {
    const state = this.#state.get(channel);
    if (state === undefined) return;
    state.moved = true;
    state.next = 0;
  }

  /** Something changed for every channel (a new peer). */
  activeAll(): void {
    for (const channel of this.#state.keys()) this.active(channel);
  }
}
