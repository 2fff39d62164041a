import type { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { TimerPort } from '../ports/timer-port.js';
import { EventStream } from './event-stream.js';

/**
 * Reports errors on a stream with at most `perSecond` errors per code each second, so a flood
 * of bad packets cannot flood the application; every error is still counted.
 */
export class ErrorReporter {
  readonly stream = new EventStream<ShoalError>();
  readonly #counts = new Map<ErrorCode, number>();
  readonly #window = new Map<ErrorCode, { start: number; reported: number }>();
  readonly #timers: TimerPort;
  readonly #perSecond: number;

  constructor(timers: TimerPort, perSecond: number) {
    this.#timers = timers;
    this.#perSecond = perSecond;
  }

  report(error: ShoalError): void {
    this.#counts.set(error.code, (this.#counts.get(error.code) ?? 0) + 1);
    const now = this.#timers.monotonic();
    let window = this.#window.get(error.code);
    if (window === undefined || now - window.start >= 1000) {
      window = { start: now, reported: 0 };
      this.#window.set(error.code, window);
    }
    if (window.reported >= this.#perSecond) return;
    window.reported++;
    this.stream.emit(error);
  }

  /** Errors seen per code since the node was created (reported or not). */
  counts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}
