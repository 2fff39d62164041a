/**
 * A set of subscribers called in subscription order. A throwing subscriber is contained:
 * the others still run and the failure is reported to `onError` (a counter), never
 * propagated into the socket's event loop.
 */
export class HandlerSet<Args extends unknown[]> {
  readonly #handlers = new Set<(...args: Args) => void>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Subscribes `handler`; the returned function unsubscribes it (idempotent). */
  add(handler: (...args: Args) => void): () => void {
    // Wrapping makes the same function subscribed twice two subscriptions, each removable alone.
    const entry = (...args: Args) => handler(...args);
    this.#handlers.add(entry);
    return () => {
      this.#handlers.delete(entry);
    };
  }

  /** Calls every current subscriber with `args`; one that unsubscribes mid-emit is skipped. */
  emit(...args: Args): void {
    for (const handler of [...this.#handlers]) {
      if (!this.#handlers.has(handler)) continue;
      try {
        handler(...args);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /** Removes every subscriber. */
  clear(): void {
    this.#handlers.clear();
  }
}
