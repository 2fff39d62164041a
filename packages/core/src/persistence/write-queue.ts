import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { BatchOperation, KeyValueStore } from '../ports/key-value-store.js';

/**
 * Group commit in front of a {@link KeyValueStore}. Writes made in the same turn of the event
 * loop (and while a batch is being written) go to the store as one atomic batch; each caller's
 * promise resolves when the batch holding its write is durable, so "resolved" always means
 * "survives a crash" while a burst of writes costs one storage round trip, not one each.
 *
 * Later writes to one key overwrite earlier ones within a batch (the batch keeps order).
 * Batches are written one at a time, in order.
 */
export class WriteQueue {
  readonly #store: KeyValueStore;
  readonly #onError: (error: ShoalError) => void;
  readonly #trailer: () => BatchOperation[];
  #pending: BatchOperation[] = [];
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

  /** Operations queued and not yet handed to the store. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Queues an operation; the promise resolves once it is durable. A caller may ignore the
   * promise: a failed batch reaches `onError`, and never surfaces as an unhandled rejection.
   */
  write(operation: BatchOperation): Promise<void> {
    // One operation a call: this runs for every record, and a rest parameter allocates.
    this.#pending.push(operation);
    if (!this.#scheduled) this.#schedule();
    return this.#next.promise;
  }

  /** Resolves when everything queued so far is durable. */
  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#flushing !== undefined) {
      if (this.#flushing === undefined) this.#flushing = this.#writeBatch();
      await this.#flushing;
    }
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

  async #writeBatch(): Promise<void> {
    while (this.#pending.length > 0) {
      const operations = this.#pending;
      const batch = this.#next;
      this.#pending = [];
      this.#next = deferred();
      try {
        // Appended in place: a copy of a 100k-operation batch is a cost of its own.
        for (const operation of this.#trailer()) operations.push(operation);
        await this.#store.batch(operations);
        batch.resolve();
      } catch (cause) {
        const error = new ShoalError(ErrorCode.Storage, `storage write failed: ${String(cause)}`, { cause });
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
