import { type BatchOperation, ErrorCode, type KeyValueStore, ShoalError } from '@shoal/core';
import { requestResult, transactionDone } from './idb-request.js';
import { prefixRange, storedKey, userKey } from './key-space.js';
import { acquireStoreLock, type StoreLock } from './store-lock.js';

/** The one object store a Shoal database holds: binary keys to `Uint8Array` values. */
const ENTRIES = 'entries';
/** Schema version; a database at another version was written by something else. */
const VERSION = 1;
/** Entries read per transaction while scanning: a scan never holds a transaction across a yield. */
const SCAN_PAGE = 128;

/**
 * When a write's promise resolves, as IndexedDB's transaction durability hint.
 * - `'strict'` (default): after the browser has flushed the commit to disk; survives a crash
 *   of the browser or the OS and power loss (as far as the disk honours flushes).
 * - `'relaxed'`: after the commit was handed to the OS, before it is flushed; survives a crash
 *   of the tab or the browser, may lose the last couple of seconds of writes on an OS crash or
 *   power loss. Browsers' own default (Chromium's since version 121).
 */
export type IndexedDbDurability = 'strict' | 'relaxed';

/** Options of {@link IndexedDbStore.open}. */
export interface IndexedDbStoreOptions {
  /** When writes resolve; see {@link IndexedDbDurability}. Default `'strict'`. */
  readonly durability?: IndexedDbDurability;
}

/**
 * A durable {@link KeyValueStore} on IndexedDB: one database per store, one object store of
 * binary keys (IndexedDB orders binary keys as unsigned bytes, the port's order), each write a
 * transaction. Runs wherever `indexedDB` exists: browsers, workers, and Node with
 * `fake-indexeddb`.
 *
 * Guarantees beyond the port's:
 * - **Durability**: see {@link IndexedDbDurability}. A `batch` is one transaction.
 * - **Exclusive**: while open, the store holds the Web Lock `shoal-kv:<name>`, so a second
 *   store on the same database (another tab of the same origin) fails with `STORAGE`
 *   (`details.reason === 'locked'`). The browser drops the lock when the tab goes away.
 * - **Checked on open**: a database of that name written by something else (another schema
 *   version, no `entries` store, a non-binary value) fails with `CORRUPT_DATA`.
 * - **Lost connection**: when the browser closes the database (site data cleared) or another
 *   connection deletes it, later calls fail with `STORAGE`.
 */
export class IndexedDbStore implements KeyValueStore {
  readonly #db: IDBDatabase;
  readonly #name: string;
  readonly #durability: IndexedDbDurability;
  readonly #lock: StoreLock;
  readonly #writes = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;
  #lost: string | undefined;

  private constructor(db: IDBDatabase, name: string, durability: IndexedDbDurability, lock: StoreLock) {
    this.#db = db;
    this.#name = name;
    this.#durability = durability;
    this.#lock = lock;
    const lose = (why: string) => () => {
      this.#lost ??= why;
      db.close();
    };
    db.onclose = lose('the browser closed the database (site data cleared?)');
    db.onversionchange = lose('another connection deleted or upgraded the database');
  }

  /**
   * Opens (creating if missing) the store in IndexedDB database `name` of this origin. Fails
   * with `STORAGE` when the store is open elsewhere or IndexedDB is unavailable (private mode,
   * quota), `CORRUPT_DATA` when the database was written by something else, `INVALID_ARGUMENT`
   * for bad options.
   */
  static async open(name: string, options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new ShoalError(ErrorCode.InvalidArgument, 'IndexedDbStore.open needs a database name');
    }
    const durability = options.durability ?? 'strict';
    if (durability !== 'strict' && durability !== 'relaxed') {
      throw new ShoalError(ErrorCode.InvalidArgument, `Unknown durability ${String(durability)}`);
    }
    if (globalThis.indexedDB === undefined)
      throw storageError(name, 'this platform has no indexedDB', undefined);
    const lock = await acquireStoreLock(`shoal-kv:${name}`, name);
    try {
      const db = await openDatabase(name);
      if (!db.objectStoreNames.contains(ENTRIES)) {
        db.close();
        throw corrupt(name, `it has no "${ENTRIES}" object store`);
      }
      return new IndexedDbStore(db, name, durability, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * Deletes database `name` and everything in it. Fails with `STORAGE` while a store has it
   * open (close it first) or when IndexedDB refuses.
   */
  static async destroy(name: string): Promise<void> {
    const lock = await acquireStoreLock(`shoal-kv:${name}`, name);
    try {
      await requestResult(indexedDB.deleteDatabase(name));
    } catch (error) {
      throw storageError(name, 'cannot delete the database', error);
    } finally {
      await lock.release();
    }
  }

  /** The IndexedDB database name this store lives in. */
  get name(): string {
    return this.#name;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const store = this.#transaction('readonly').objectStore(ENTRIES);
    return this.#value(await this.#request(requestResult(store.get(storedKey(key)))));
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.batch([{ type: 'put', key, value }]);
  }

  delete(key: Uint8Array): Promise<void> {
    return this.batch([{ type: 'delete', key }]);
  }

  async batch(operations: readonly BatchOperation[]): Promise<void> {
    const transaction = this.#transaction('readwrite');
    const store = transaction.objectStore(ENTRIES);
    // Requests are issued before this call returns, on copies of keys and values: a caller's
    // later mutation changes nothing, and a view never stores its whole underlying buffer.
    try {
      for (const operation of operations) {
        if (operation.type === 'put') store.put(operation.value.slice(), storedKey(operation.key));
        else store.delete(storedKey(operation.key));
      }
    } catch (error) {
      transaction.abort();
      throw storageError(this.#name, 'a write was refused', error);
    }
    const done = this.#request(transactionDone(transaction));
    this.#writes.add(done);
    try {
      await done;
    } finally {
      this.#writes.delete(done);
    }
  }

  async *scan(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]> {
    const start = prefix.slice();
    let after: ArrayBuffer | undefined;
    for (;;) {
      const store = this.#transaction('readonly').objectStore(ENTRIES);
      const range = prefixRange(start, after);
      // One transaction per page, so keys and values come from the same snapshot.
      const [keys, values] = await this.#request(
        Promise.all([
          requestResult(store.getAllKeys(range, SCAN_PAGE)),
          requestResult(store.getAll(range, SCAN_PAGE)),
        ]),
      );
      for (const [index, key] of keys.entries()) {
        after = key as ArrayBuffer;
        yield [userKey(after), this.#value(values[index]) as Uint8Array];
      }
      if (keys.length < SCAN_PAGE) return;
    }
  }

  /** Lets pending writes finish, then closes the database and releases the lock. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(this.#writes);
      this.#db.close();
      await this.#lock.release();
    })();
    return this.#closing;
  }

  #transaction(mode: IDBTransactionMode): IDBTransaction {
    if (this.#closing !== undefined)
      throw new ShoalError(ErrorCode.Closed, `IndexedDB store ${this.#name} is closed`);
    if (this.#lost !== undefined) throw storageError(this.#name, this.#lost, undefined);
    try {
      return this.#db.transaction(ENTRIES, mode, { durability: this.#durability });
    } catch (error) {
      throw storageError(this.#name, 'cannot start a transaction', error);
    }
  }

  async #request<T>(pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch (error) {
      throw storageError(this.#name, this.#lost ?? 'a request failed', error);
    }
  }

  #value(value: unknown): Uint8Array | undefined {
    if (value === undefined || value instanceof Uint8Array) return value;
    throw corrupt(this.#name, 'it holds a value that is not bytes');
  }
}

function openDatabase(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = indexedDB.open(name, VERSION);
    } catch (error) {
      reject(storageError(name, 'cannot open the database', error));
      return;
    }
    request.onupgradeneeded = () => {
      // Only a new database gets here (no version is below 1): give it its object store.
      request.result.createObjectStore(ENTRIES);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      const error = request.error;
      reject(
        error?.name === 'VersionError'
          ? corrupt(name, 'it has a newer schema version than this store writes')
          : storageError(name, 'cannot open the database', error),
      );
    };
  });
}

function storageError(name: string, what: string, cause: unknown): ShoalError {
  return new ShoalError(ErrorCode.Storage, `IndexedDB store ${name}: ${what}`, {
    cause,
    details: { database: name },
  });
}

function corrupt(name: string, why: string): ShoalError {
  return new ShoalError(ErrorCode.CorruptData, `IndexedDB database ${name} is not a Shoal store: ${why}`, {
    details: { database: name },
  });
}
