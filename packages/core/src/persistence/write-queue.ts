import { ErrorCode, isShoalError, ShoalError } from '../errors/shoal-error.js';
import type { BatchOperation, KeyValueStore } from '../ports/key-value-store.js';
import { BatchBuffer, unpackBatch } from './batch-buffer.js';

/** A written batch's buffer is kept for reuse up to this capacity; a larger one is let go. */
const KEPT_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * A written batch's buffer, emptied, for the next batch of any node in the process (like the
 * record arena, shared): a buffer that grew for a burst of writes serves the next burst
 * without growing again. Growing was most of the cost of encoding a large batch: every
 * doubling copies, and fresh memory is slow to touch the first time.
 */
let spare: BatchBuffer | undefined;

function takeBuffer(): BatchBuffer {
  const buffer = spare ?? new BatchBuffer();
  spare = undefined;
  return buffer;
}

/** Keeps `buffer` as the spare, unless the spare is larger or it is too large to keep. */
function giveBack(buffer: BatchBuffer): void {
  const capacity = buffer.bytes.length;
  if (capacity > KEPT_BUFFER_BYTES || (spare !== undefined && spare.bytes.length >= capacity)) return;
  buffer.truncate(0);
  spare = buffer;
}

/**
 * Group commit in front of a {@link KeyValueStore}. Writes made in the same turn of the event
 * loop (and while a batch is being written) go to the store as one atomic batch; each caller's
 * promise resolves when the batch holding its write is durable, so "resolved" always means
 * "survives a crash" while a burst of writes costs one storage round trip, not one each.
 *
 * Later writes to one key overwrite earlier ones within a batch (the batch keeps order).
 * Batches are written one at a time, in order.
 *
 * A failed batch (a full disk, an I/O error) rejects its callers, but its operations are not
 * dropped: they lead every later batch until one is written. What is on disk is therefore always
 * a prefix of what was queued, so a record written later (a synced clock vouching for entries,
 * the node's clock) never lands without the records queued before it, which after a restart
 * would vouch for data the store lacks. A rejected write is thus not acknowledged but may still
 * become durable once the store accepts writes again, like a timed-out write in any database.
 */
export class WriteQueue {
  readonly #store: KeyValueStore;
  readonly #onError: (error: ShoalError) => void;
  readonly #trailer: () => BatchOperation[];
  #pending = takeBuffer();
  /** Operations of failed batches, oldest first: they lead the next batch. */
  #unwritten: BatchBuffer | undefined;
  /** Why the last batch failed, while its operations are unwritten. */
  #failure: ShoalError | undefined;
  /** Settles when the operations of failed batches are written at last (one per run of failures). */
  #carried = deferred();
  /** The promise every write queued into the next batch shares. */
  #next = deferred();
  #flushing: Promise<void> | undefined;
  #scheduled = false;

  /**
   * @param trailer records appended to every batch (the node's clock and change counter), so
   * they are always at least as new as the data written with them.
   */
  constructor(
    store: KeyValueStore,
    onError: (error: ShoalError) => void,
    trailer: () => BatchOperation[] = () => [],
  ) {
    this.#store = store;
    this.#onError = onError;
    this.#trailer = trailer;
  }

  /**
   * Resolves once the write behind `durable` (a promise {@link WriteQueue.write} returned) is
   * on disk: when `durable` resolves, or, when its batch was refused, when its operations,
   * carried into later batches, are written at last. Never rejects; stays pending while the
   * store refuses everything. For what must follow durability even of a write its caller was
   * told failed (a node offers its own writes to peers only once durable: such a write must be
   * offered when it does land, or replicas differ for good).
   */
  landed(durable: Promise<void>): Promise<void> {
    // Runs in the microtask after the refusal, before any later batch can be written: the run of
    // failures it belongs to is the current one.
    return durable.catch(() => this.#carried.promise);
  }

  /** Operations queued and not yet durable (those of failed batches included). */
  get pending(): number {
    return (this.#unwritten?.count ?? 0) + this.#pending.count;
  }

  /**
   * Queues an operation; the promise resolves once it is durable. A caller may ignore the
   * promise: a failed batch reaches `onError`, and never surfaces as an unhandled rejection.
   */
  write(operation: BatchOperation): Promise<void> {
    this.append().add(operation);
    return this.#next.promise;
  }

  /**
   * The batch this turn's writes go into, for a caller that encodes its records straight into
   * it (a whole operation, before it yields); {@link WriteQueue.queued} is then the promise of
   * its durability.
   */
  append(): BatchBuffer {
    if (!this.#scheduled) this.#schedule();
    return this.#pending;
  }

  /** Resolves once the operations queued so far in this turn are durable (as {@link WriteQueue.write}'s promise). */
  get queued(): Promise<void> {
    return this.#next.promise;
  }

  /**
   * Resolves when everything queued so far is durable. Operations of failed batches are tried
   * once more; if they still fail, rejects with that failure (the store is full or broken).
   */
  async flush(): Promise<void> {
    let retry = this.#unwritten !== undefined;
    while (this.#pending.count > 0 || this.#flushing !== undefined || retry) {
      if (this.#flushing === undefined) {
        this.#flushing = this.#writeBatch(retry);
        retry = false;
      }
      await this.#flushing;
    }
    if (this.#unwritten !== undefined && this.#failure !== undefined) throw this.#failure;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A microtask, not a timer: every write of the current turn joins the batch, and the core
    // stays free of timers of its own.
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.#flushing === undefined) this.#flushing = this.#writeBatch();
    });
  }

  /** Writes batches until nothing is queued; `retry`: at least one, for failed batches' operations. */
  async #writeBatch(retry = false): Promise<void> {
    while (this.#pending.count > 0 || retry) {
      retry = false;
      const carried = this.#unwritten;
      const operations = carried ?? this.#pending;
      if (carried !== undefined) carried.addAll(this.#pending);
      const queued = operations.count;
      const batch = this.#next;
      if (carried !== undefined) giveBack(this.#pending);
      this.#pending = takeBuffer();
      this.#next = deferred();
      try {
        for (const operation of this.#trailer()) operations.add(operation);
        const store = this.#store;
        await (store.batchPacked === undefined
          ? store.batch(unpackBatch(operations))
          : store.batchPacked(operations));
        if (carried !== undefined) {
          this.#carried.resolve();
          this.#carried = deferred();
        }
        this.#unwritten = undefined;
        this.#failure = undefined;
        giveBack(operations);
        batch.resolve();
      } catch (cause) {
        // The trailer is not carried: the next batch appends a newer one.
        operations.truncate(queued);
        this.#unwritten = operations;
        const code = isShoalError(cause) ? cause.code : ErrorCode.Storage;
        const error = new ShoalError(code, `storage write failed: ${String(cause)}`, { cause });
        this.#failure = error;
        this.#onError(error);
        batch.reject(error);
      }
    }
    this.#flushing = undefined;
  }
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  // Callers that ignore a failed write must not crash the process: failures reach onError.
  promise.catch(() => {});
  return { promise, resolve, reject };
}
