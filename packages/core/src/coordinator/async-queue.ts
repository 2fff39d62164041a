import { ErrorCode, ShoalError } from '../errors/shoal-error.js';

/**
 * An unbounded single-consumer queue exposed as an async iterator. Producers `push`
 * synchronously; the iterator ends on `close()`, on `return()` (a `break` in `for await`) or
 * when the `signal` aborts. Used by every `watch()` so a slow consumer never blocks a producer
 * and never misses an item.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  #head = 0;
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #closed = false;
  readonly #onClose: () => void;
  readonly #signal: AbortSignal | undefined;
  readonly #abort = () => this.close();

  constructor(onClose: () => void, signal?: AbortSignal) {
    this.#onClose = onClose;
    this.#signal = signal;
    if (signal?.aborted) throw new ShoalError(ErrorCode.Aborted, 'watch() signal was already aborted');
    signal?.addEventListener('abort', this.#abort, { once: true });
  }

  /** Items waiting to be consumed. */
  get pending(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    if (this.#closed) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting({ value: item, done: false });
      return;
    }
    this.#items.push(item);
  }

  /** Ends the iteration after the items already queued. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#abort);
    this.#onClose();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head++] as T;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items.splice(0, this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.#items.length = 0;
    this.#head = 0;
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
