import { ErrorCode, ShoalError } from '../errors/shoal-error.js';

/** Options of {@link Channel.transact}. */
export interface TransactOptions {
  /**
   * Who or what made the writes (`'ui'`, `'import'`, a user id…): every watcher and listener
   * on this node sees it on each change of the transaction. At most 256 characters.
   */
  readonly origin?: string;
}

/** Longest `origin` accepted: it is a label, not a payload. */
const MAX_ORIGIN_LENGTH = 256;

/**
 * The writes of one {@link Channel.transact} call, gathered while its function runs and applied
 * together when it returns. Internal.
 *
 * Guarantees: writes are validated when made (a bad one throws inside the function, and then
 * none is applied); they are applied in the order made, in one synchronous step, so no reader
 * and no peer sees a part of them; storage gets them in one batch (the write queue batches a
 * turn) and peers in one push (the sync engine pushes a turn's writes together).
 */
export class Transaction {
  readonly origin: string | undefined;
  readonly #applies: (() => Promise<void>)[] = [];
  /** Keys the transaction adds, as `map\0key`: the channel's key limit counts each once. */
  readonly #newKeys = new Set<string>();
  readonly #settled: Promise<void>;
  #resolve!: (durable: Promise<void>) => void;
  #reject!: (error: unknown) => void;
  /** The first write that failed validation: the whole transaction fails with it. */
  #failure: { error: unknown } | undefined;

  constructor(options: TransactOptions | undefined) {
    const origin = options?.origin;
    if (origin !== undefined && (typeof origin !== 'string' || origin.length > MAX_ORIGIN_LENGTH)) {
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        `transact origin must be a string of at most ${MAX_ORIGIN_LENGTH} characters`,
      );
    }
    this.origin = origin;
    this.#settled = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve as (durable: Promise<void>) => void;
      this.#reject = reject;
    });
    // Writes inside the function return this promise; ignoring one must not crash the process.
    this.#settled.catch(() => {});
  }

  /** What a write made inside the transaction returns: settles with the whole transaction. */
  get settled(): Promise<void> {
    return this.#settled;
  }

  /** Adds a validated write; `newKey` names the key it adds to the channel, if any. */
  add(apply: () => Promise<void>, newKey?: string): void {
    this.#applies.push(apply);
    if (newKey !== undefined) this.#newKeys.add(newKey);
  }

  /** A write inside the function was refused: nothing of the transaction will be applied. */
  fail(error: unknown): void {
    this.#failure ??= { error };
  }

  /** Throws the first refused write's error, if any. */
  checkFailure(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** Keys the writes add to the channel. */
  get newKeys(): number {
    return this.#newKeys.size;
  }

  /** Applies every write in order; resolves when all are durable. */
  commit(): Promise<void> {
    let durable: Promise<void> = Promise.resolve();
    const waits: Promise<void>[] = [];
    for (const apply of this.#applies) {
      const next = apply();
      if (next !== durable) waits.push(next);
      durable = next;
    }
    const all = Promise.all(waits).then(() => {});
    this.#resolve(all);
    return all;
  }

  /** Drops every write: the function threw, or the writes would break a limit. */
  abort(error: unknown): void {
    this.#reject(error);
  }
}
