/**
 * Captured at load time so that `vi.useFakeTimers()` in a test cannot replace it and stall
 * virtual time. Node has `setImmediate`; browsers fall back to a MessageChannel.
 */
const realSetImmediate: ((callback: () => void) => unknown) | undefined = globalThis.setImmediate;

function macrotask(callback: () => void): void {
  if (realSetImmediate !== undefined) {
    realSetImmediate(callback);
    return;
  }
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    callback();
  };
  channel.port2.postMessage(undefined);
}

/**
 * Resolves after every microtask queued so far, and every microtask those queue in turn, has
 * run: the microtask queue is always drained completely before the next macrotask. Work that
 * waits on real I/O or real timers is not waited for.
 */
export function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => macrotask(resolve));
}
