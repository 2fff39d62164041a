import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import type { TimerPort } from '../ports/timer-port.js';
import type { ObjectDelta } from '../protocol/sync-messages.js';

/** How long a peer whose own writes come from the far future is not synced with. */
export const CLOCK_QUARANTINE_MS = 60_000;

/**
 * Peers whose own clock is too far ahead: their own entries (or claims for themselves) are
 * stamped more than `maxDrift` past our wall clock. Each is reported once, then left out of
 * sync in both directions for {@link CLOCK_QUARANTINE_MS}, instead of being refused entry by
 * entry on every round; afterwards it is tried again. Entries a peer merely relays for a
 * far-ahead writer are refused one by one (by the merge), without quarantining the relayer.
 */
export class ClockQuarantine {
  readonly #timers: TimerPort;
  readonly #maxDrift: number;
  readonly #report: (error: ShoalError) => void;
  readonly #until = new Map<NodeId, number>();

  constructor(timers: TimerPort, maxDrift: number, report: (error: ShoalError) => void) {
    this.#timers = timers;
    this.#maxDrift = maxDrift;
    this.#report = report;
  }

  /** True while `peer` is quarantined. */
  holds(peer: NodeId): boolean {
    const until = this.#until.get(peer);
    if (until === undefined) return false;
    if (this.#timers.monotonic() < until) return true;
    this.#until.delete(peer);
    return false;
  }

  /**
   * Checks what `from` sent: when its own entries or claims are stamped too far ahead,
   * quarantines it (reporting it once) and returns true: drop the message.
   */
  screen(from: NodeId, objects: readonly ObjectDelta[]): boolean {
    const limit = this.#timers.now() + this.#maxDrift;
    let ahead = 0;
    for (const object of objects) {
      for (const entry of object.entries) {
        const writer = 'writer' in entry ? entry.writer : entry.author;
        if (writer === from && entry.wall > limit)
          ahead = Math.max(ahead, entry.wall - limit + this.#maxDrift);
      }
      if (object.kind === 'map') {
        for (const proof of object.proofs) {
          const version = proof.kind === 'slice' ? proof.version : proof.signed.version;
          if (proof.writer === from && version.wall > limit)
            ahead = Math.max(ahead, version.wall - limit + this.#maxDrift);
        }
      }
    }
    if (ahead === 0) return false;
    this.#until.set(from, this.#timers.monotonic() + CLOCK_QUARANTINE_MS);
    this.#report(
      new ShoalError(
        ErrorCode.ClockDrift,
        `peer ${from} writes ${ahead} ms ahead of this node's clock (max drift ${this.#maxDrift} ms): not syncing with it for ${CLOCK_QUARANTINE_MS / 1000} s`,
        { details: { peer: from, aheadMs: ahead, quarantineMs: CLOCK_QUARANTINE_MS } },
      ),
    );
    return true;
  }
}
