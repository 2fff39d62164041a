import { ErrorCode, type NodeId, ShoalError } from '@shoal/core';

/** Wall clock at virtual time 0 unless told otherwise: 2026-01-01T00:00:00Z. */
export const DEFAULT_EPOCH = Date.UTC(2026, 0, 1);

/** Default {@link SimulatedNetworkOptions.maxMessageSize}: the largest IPv4 UDP payload. */
export const DEFAULT_MAX_MESSAGE_SIZE = 65_507;

/** One-way delay of a message in virtual ms: fixed, or uniform over whole ms in [min, max]. */
export type Latency = number | { readonly min: number; readonly max: number };

/** Where a contained exception came from: a message handler, a peer handler or a timer. */
export interface ErrorContext {
  readonly node: NodeId | undefined;
  readonly source: 'message' | 'peer' | 'timer';
}

/** Options of a {@link SimulatedNetwork}; every field is optional. */
export interface SimulatedNetworkOptions {
  /** Seed of every random choice the network makes and of `random(id)`. Default 0. */
  readonly seed?: number;
  /** Probability in [0, 1] that a message is dropped. Default 0. */
  readonly loss?: number;
  /** One-way delay. Default 1 ms. */
  readonly latency?: Latency;
  /** Probability in [0, 1] that a message is delivered twice (independent delays). Default 0. */
  readonly duplicate?: number;
  /**
   * Probability in [0, 1] that a message gets an extra delay, uniform over whole ms in
   * [1, `reorderDelay`], so later messages overtake it. Default 0.
   */
  readonly reorder?: number;
  /** Largest extra delay `reorder` adds, in ms. Default `max(10, 2 × latency max)`. */
  readonly reorderDelay?: number;
  /** Largest message `send` accepts, in bytes. Default {@link DEFAULT_MAX_MESSAGE_SIZE}. */
  readonly maxMessageSize?: number;
  /** Wall-clock ms that `now()` reports at virtual time 0. Default {@link DEFAULT_EPOCH}. */
  readonly epoch?: number;
  /**
   * Called with every exception a handler or timer callback threw (the network contains them
   * and counts them in `stats()`). Throwing from here aborts the running `runFor`/`runUntil`.
   */
  readonly onError?: (error: unknown, context: ErrorContext) => void;
}

/** Options with defaults applied and validated. */
export interface ResolvedOptions {
  readonly seed: number;
  readonly loss: number;
  readonly latencyMin: number;
  readonly latencyMax: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly reorderDelay: number;
  readonly maxMessageSize: number;
  readonly epoch: number;
  readonly onError: ((error: unknown, context: ErrorContext) => void) | undefined;
}

/** Applies defaults; throws `INVALID_ARGUMENT` naming the first bad field. */
export function resolveOptions(options: SimulatedNetworkOptions): ResolvedOptions {
  const latency = options.latency ?? 1;
  const latencyMin = typeof latency === 'number' ? latency : latency.min;
  const latencyMax = typeof latency === 'number' ? latency : latency.max;
  checkWholeMs('latency', latencyMin);
  checkWholeMs('latency', latencyMax);
  if (latencyMin > latencyMax) invalid('latency', `min ${latencyMin} is above max ${latencyMax}`);
  const reorderDelay = options.reorderDelay ?? Math.max(10, 2 * latencyMax);
  checkWholeMs('reorderDelay', reorderDelay);
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize < 1) {
    invalid('maxMessageSize', `expected a positive integer, got ${maxMessageSize}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) invalid('seed', `expected a finite number, got ${seed}`);
  const epoch = options.epoch ?? DEFAULT_EPOCH;
  if (!Number.isFinite(epoch)) invalid('epoch', `expected a finite number, got ${epoch}`);
  return {
    seed,
    loss: checkProbability('loss', options.loss ?? 0),
    latencyMin,
    latencyMax,
    duplicate: checkProbability('duplicate', options.duplicate ?? 0),
    reorder: checkProbability('reorder', options.reorder ?? 0),
    reorderDelay,
    maxMessageSize,
    epoch,
    onError: options.onError,
  };
}

/** Returns `p` when it is a probability in [0, 1]; throws `INVALID_ARGUMENT` otherwise. */
export function checkProbability(field: string, p: number): number {
  if (!(p >= 0 && p <= 1)) invalid(field, `expected a probability in [0, 1], got ${p}`);
  return p;
}

function checkWholeMs(field: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) invalid(field, `expected whole ms >= 0, got ${ms}`);
}

function invalid(field: string, problem: string): never {
  throw new ShoalError(ErrorCode.InvalidArgument, `SimulatedNetwork ${field}: ${problem}`, {
    details: { field },
  });
}
