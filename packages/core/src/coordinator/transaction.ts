import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { ByteWriter } from '../wire/byte-writer.js';

/** Options of {@link Channel.transact}. */
export interface TransactOptions {
  /**
   * Who or what made the writes (`'ui'`, `'import'`, a user id…): every watcher and listener
   * on this node sees it on each change of the transaction. At most 256 characters.
   */
  readonly origin?: string;
}

/** Slots per write in a transaction's list: target, item, value, and its encoded bytes' start and end. */
const FIELDS = 5;

/**
 * Slots per chunk of a transaction's writes. Kept in chunks small enough to be allocated
 * young: storing a fresh key or value into one huge array, long since tenured, costs a
 * write barrier entry each, which was most of the cost of adding a write.
 */
const CHUNK = 4 * 1024;

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
  /**
   * The writes in order, {@link FIELDS} slots each in chunks (no object per write): where
   * it applies, what (a map key, a stream payload), the value, and where its encoded bytes start
   * and end in `#encoded` (start -1: none). Emptied once committed or aborted: a caller may keep the
   * transaction alive (through the promise its writes returned), and it must not keep every
   * write with it.
   */
  #writes: unknown[][] = [];
  /** The last of `#writes`: filled up to {@link CHUNK} slots, then a new one is started. */
  #chunk: unknown[] = [];
  #encoded = new ByteWriter(1024);
  /** Writes that may add a key (every map set): a bound on the keys the transaction adds. */
  #keyAdds = 0;
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

  /**
   * The log a write's encoded value is appended to (by a map's `prepare`), read at
   * commit by offsets: one growing buffer, not an array per write.
   */
  get log(): ByteWriter {
    return this.#encoded;
  }

  /**
   * Adds a validated write of `item` and `value` to `target`, with the value's encoding at
   * `[start, end)` of {@link Transaction.log} (start -1: none); `mayAddKey`: it may add a key to
   * the channel (a bound is enough: {@link Transaction.newKeys} counts exactly when the bound is
   * too high).
   */
  add<I, V>(
    target: TransactionTarget<I, V>,
    item: I,
    value: V,
    start: number,
    end: number,
    mayAddKey: boolean,
  ): void {
    if (this.#chunk.length >= CHUNK) {
      this.#writes.push(this.#chunk);
      this.#chunk = [];
    }
    this.#chunk.push(target, item, value, start, end);
    if (mayAddKey) this.#keyAdds++;
  }

  /** A write inside the function was refused: nothing of the transaction will be applied. */
  fail(error: unknown): void {
    this.#failure ??= { error };
  }

  /** Throws the first refused write's error, if any. */
  checkFailure(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /**
   * Keys the writes add to the channel, at most: a key set twice counts twice. `exact` counts
   * each once (slower: for when the bound is over the limit).
   */
  newKeys(exact: boolean): number {
    if (!exact) return this.#keyAdds;
    const added = new Set<string>();
    for (const writes of this.#chunks()) {
      for (let i = 0; i < writes.length; i += FIELDS) {
        const key = (writes[i] as TransactionTarget).addedKey(writes[i + 1], writes[i + 2]);
        if (key !== undefined) added.add(key);
      }
    }
    return added.size;
  }

  /** Applies every write in order; resolves when all are durable. */
  commit(): Promise<void> {
    let durable: Promise<void> = Promise.resolve();
    const waits: Promise<void>[] = [];
    const encoded = this.#encoded.written();
    for (const writes of this.#chunks()) {
      for (let i = 0; i < writes.length; i += FIELDS) {
        const start = writes[i + 3] as number;
        const target = writes[i] as TransactionTarget;
        // Offsets into the log, not a view per write: a view cost more than the write's copy.
        const next =
          start < 0
            ? target.commit(writes[i + 1], this.origin, writes[i + 2], undefined, 0, 0)
            : target.commit(
                writes[i + 1],
                this.origin,
                writes[i + 2],
                encoded,
                start,
                writes[i + 4] as number,
              );
        if (next !== durable) waits.push(next);
        durable = next;
      }
    }
    this.#forget();
    const all = Promise.all(waits).then(() => {});
    this.#resolve(all);
    return all;
  }

  /** The chunks of writes, in order. */
  #chunks(): unknown[][] {
    return [...this.#writes, this.#chunk];
  }

  /** Drops every write: the function threw, or the writes would break a limit. */
  abort(error: unknown): void {
    this.#forget();
    this.#reject(error);
  }

  #forget(): void {
    this.#writes = [];
    this.#chunk = [];
    this.#encoded = new ByteWriter(0);
  }
}

/**
 * A map or stream a transaction writes to. A write is an item (a map key, a stream payload),
 * a value and the value's encoding (a map's; a stream has neither).
 */
export interface TransactionTarget<I = unknown, V = unknown> {
  /**
   * Applies one validated write whose encoded value is `source[start, end)` (no `source`: none);
   * returns the promise of its durability.
   */
  commit(
    item: I,
    origin: string | undefined,
    value: V,
    source: Uint8Array | undefined,
    start: number,
    end: number,
  ): Promise<void>;
  /** The channel-wide name of the key the write adds, if it adds one (the key limit counts it). */
  addedKey(item: I, value: V): string | undefined;
}
