import { ErrorCode, ShoalError } from '@shoal/core';

/** A held Web Lock. */
export interface StoreLock {
  /** Lets the lock go; resolves once the browser has released it. Idempotent. */
  release(): Promise<void>;
}

/**
 * Takes the Web Lock `name` without waiting, for as long as the store stays open, so a second
 * store on the same database (another tab, a second `open` in this one) fails instead of
 * running a second node with the same identity over the same data. Web Locks are per origin,
 * across tabs and workers, and released by the browser when the holder's tab closes or crashes.
 * Where the platform has no Web Locks (Node with fake-indexeddb), nothing is locked.
 *
 * @throws ShoalError `STORAGE` with `details.reason === 'locked'` when another holder has it.
 */
export async function acquireStoreLock(name: string, database: string): Promise<StoreLock> {
  const locks = globalThis.navigator?.locks;
  if (locks === undefined) return { release: async () => {} };
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => {
    letGo = resolve;
  });
  let granted!: (acquired: boolean) => void;
  const acquired = new Promise<boolean>((resolve) => {
    granted = resolve;
  });
  // Settles once the lock is released (or was never granted).
  const request = locks.request(name, { ifAvailable: true }, (lock) => {
    granted(lock !== null);
    return lock === null ? undefined : held;
  });
  if (!(await Promise.race([acquired, request.then(() => false)]))) {
    throw new ShoalError(
      ErrorCode.Storage,
      `IndexedDB store ${database} is open elsewhere (another tab or store); only one may open it`,
      { details: { database, reason: 'locked' } },
    );
  }
  return {
    async release() {
      letGo();
      await request;
    },
  };
}
