/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this many ms. */
  readonly timeoutMs: number;
  /** Poll period. Default 50 ms. */
  readonly intervalMs?: number;
  /** Named in the timeout error. */
  readonly what: string;
}

/**
 * Polls `predicate` until it holds and resolves to the elapsed milliseconds; rejects when
 * `timeoutMs` passes first. Polling, not a fixed sleep, so a busy machine only makes it slower.
 */
export async function waitFor(predicate: () => boolean, options: WaitOptions): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (predicate()) return performance.now() - start;
    if (performance.now() - start > options.timeoutMs) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
