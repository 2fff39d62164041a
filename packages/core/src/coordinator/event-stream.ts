import { AsyncQueue } from './async-queue.js';

/**
 * A subscribable stream of typed events (`node.events`, `node.errors`). Subscribe with a
 * callback, or iterate with `for await` (each iterator gets every event from its creation on).
 * A subscriber that throws is isolated: the others still receive the event.
 */
export class EventStream<T> implements AsyncIterable<T> {
  readonly #listeners = new Set<(event: T) => void>();

  /** Calls `listener` for each event; returns an unsubscribe function. */
  subscribe(listener: (event: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Iterates events from now on until `break`, `return()` or `signal` aborts. */
  iterate(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<T> {
    let unsubscribe = () => {};
    const queue = new AsyncQueue<T>(() => unsubscribe(), options.signal);
    unsubscribe = this.subscribe((event) => queue.push(event));
    return queue;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.iterate();
  }

  /** Delivers `event` to every subscriber. */
  emit(event: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A subscriber's bug must not stop delivery to the others or break the node.
      }
    }
  }
}
