import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { isTimestamp, MAX_COUNTER, MAX_WALL, type Timestamp, ZERO_TIMESTAMP } from './timestamp.js';

/** Default bound on how far ahead of our wall clock a remote timestamp may be: 60 s. */
export const DEFAULT_MAX_DRIFT_MS = 60_000;

/** Options of an {@link Hlc}. */
export interface HlcOptions {
  /** Reads the wall clock in ms (a `TimerPort.now`). It may jump backwards; the HLC never does. */
  readonly wallClock: () => number;
  /** A remote timestamp more than this many ms ahead of the wall clock is refused. */
  readonly maxDrift?: number;
  /** The last timestamp issued before a restart, so none is ever reissued. */
  readonly last?: Timestamp;
}

/**
 * A hybrid logical clock (Kulkarni et al. 2014, Fig. 5). Every timestamp it issues is strictly
 * greater than every timestamp it issued or received before, and stays close to physical time.
 *
 * - `now()` stamps a local event.
 * - `receive(remote)` folds in a remote timestamp, so our next stamp orders after it. A stamp
 *   further than `maxDrift` ahead of our wall clock is refused with `CLOCK_DRIFT` and leaves the
 *   clock untouched: one peer with a broken clock must not drag every clock into the future.
 * - When 65 536 events share one millisecond the counter would overflow; the clock then moves
 *   its logical wall forward by 1 ms instead, staying strictly monotonic (it runs ahead of
 *   physical time by at most 1 ms per 65 536 events, and catches up as the wall clock advances).
 */
export class Hlc {
  readonly #wallClock: () => number;
  readonly #maxDrift: number;
  // The last timestamp as two fields, not an object: a local write steps the clock without
  // allocating (a transaction stamps each of its writes).
  #wall: number;
  #counter: number;
  /** The wall clock reading every stamp uses while {@link Hlc.inOneReading} runs. */
  #pinned: number | undefined;

  constructor(options: HlcOptions) {
    this.#wallClock = options.wallClock;
    this.#maxDrift = options.maxDrift ?? DEFAULT_MAX_DRIFT_MS;
    const last = options.last ?? ZERO_TIMESTAMP;
    this.#wall = last.wall;
    this.#counter = last.counter;
  }

  /** The last timestamp issued or received. */
  get last(): Timestamp {
    return { wall: this.#wall, counter: this.#counter };
  }

  /** The wall part of the last timestamp issued or received. */
  get wall(): number {
    return this.#wall;
  }

  /** The physical clock's reading (ms), not a stamp: for timing what waits, not for ordering. */
  physical(): number {
    return this.#physical();
  }

  /** The counter part of the last timestamp issued or received. */
  get counter(): number {
    return this.#counter;
  }

  /** The configured drift bound in ms. */
  get maxDrift(): number {
    return this.#maxDrift;
  }

  /** Stamps a local event: returns a timestamp greater than every one issued or received. */
  now(): Timestamp {
    this.advance();
    return this.last;
  }

  /**
   * {@link Hlc.now} without the object: the new timestamp is then {@link Hlc.wall} and
   * {@link Hlc.counter}.
   */
  advance(): void {
    const physical = this.#physical();
    if (physical > this.#wall) {
      this.#wall = physical;
      this.#counter = 0;
    } else this.#tick(this.#wall, this.#counter);
  }

  /**
   * Runs `step` reading the wall clock once: every timestamp issued inside it uses that one
   * reading, ordered by the counter, as the writes of one transaction are one event (reading
   * the clock per write was a few per cent of a transaction). Returns what `step` returns.
   */
  inOneReading<T>(step: () => T): T {
    if (this.#pinned !== undefined) return step();
    this.#pinned = this.#readWallClock();
    try {
      return step();
    } finally {
      this.#pinned = undefined;
    }
  }

  /**
   * Folds a remote timestamp into the clock and returns the new local reading, which is greater
   * than both the remote stamp and every earlier local one.
   * @throws ShoalError `CLOCK_DRIFT` when `remote` is more than `maxDrift` ms ahead of the wall clock
   * (the clock is left unchanged), `INVALID_ARGUMENT` when `remote` is malformed.
   */
  receive(remote: Timestamp): Timestamp {
    this.check(remote);
    const physical = this.#physical();
    const lastWall = this.#wall;
    const wall = Math.max(physical, lastWall, remote.wall);
    if (wall === lastWall && wall === remote.wall) this.#tick(wall, Math.max(this.#counter, remote.counter));
    else if (wall === lastWall) this.#tick(wall, this.#counter);
    else if (wall === remote.wall) this.#tick(wall, remote.counter);
    else {
      this.#wall = wall;
      this.#counter = 0;
    }
    return this.last;
  }

  /**
   * Checks a remote timestamp without changing the clock.
   * @throws ShoalError as {@link Hlc.receive} does.
   */
  check(remote: Timestamp): void {
    if (!isTimestamp(remote)) {
      throw new ShoalError(ErrorCode.InvalidArgument, `malformed timestamp ${JSON.stringify(remote)}`);
    }
    const physical = this.#physical();
    if (remote.wall - physical > this.#maxDrift) {
      throw new ShoalError(
        ErrorCode.ClockDrift,
        `remote timestamp is ${remote.wall - physical} ms ahead of the local clock (max drift ${this.#maxDrift} ms)`,
        { details: { remoteWall: remote.wall, localWall: physical, maxDrift: this.#maxDrift } },
      );
    }
  }

  /** Raises the clock to at least `stamp` without drift checks (used when reloading own history). */
  observe(stamp: Timestamp): void {
    // Compared by hand: handing this clock to `compareTimestamps` would make every caller's
    // field reads there see a second shape.
    if (stamp.wall > this.#wall || (stamp.wall === this.#wall && stamp.counter > this.#counter)) {
      this.#wall = stamp.wall;
      this.#counter = stamp.counter;
    }
  }

  /** Sets the clock to the timestamp after (`wall`, `counter`). */
  #tick(wall: number, counter: number): void {
    if (counter < MAX_COUNTER) {
      this.#wall = wall;
      this.#counter = counter + 1;
      return;
    }
    if (wall >= MAX_WALL) throw new ShoalError(ErrorCode.ClockExhausted, 'hybrid logical clock exhausted');
    this.#wall = wall + 1;
    this.#counter = 0;
  }

  #physical(): number {
    return this.#pinned ?? this.#readWallClock();
  }

  #readWallClock(): number {
    // A wall clock far outside 48 bits (or NaN) is treated as 0: the HLC then runs on its counter.
    const physical = Math.floor(this.#wallClock());
    return physical >= 0 && physical <= MAX_WALL ? physical : 0;
  }
}
