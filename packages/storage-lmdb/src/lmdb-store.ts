import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type BatchOperation,
  bytesEqual,
  ErrorCode,
  isShoalError,
  type KeyValueStore,
  ShoalError,
} from '@shoal/core';
import { open, type RootDatabase } from 'lmdb';
import { checkDataFile } from './data-file-check.js';
import { DirectoryLock, LOCK_FILE } from './directory-lock.js';
import { dataKey, FORMAT_KEY, MAX_KEY_BYTES, prefixRange, userKey } from './key-space.js';

/** Marker stored on first open; a store carrying another marker is refused. */
const FORMAT = new TextEncoder().encode('shoal-kv-lmdb/1');
/** The only files a store directory ever holds (plus lock temporaries named `shoal.lock.*`). */
const STORE_FILES = new Set(['data.mdb', 'lock.mdb', LOCK_FILE]);

/**
 * When a write's promise resolves.
 * - `'flush'` (default): after the commit is fsynced (`fdatasync`) to disk. The write survives
 *   a process crash, a kernel panic and power loss (as far as the disk honours flushes).
 * - `'commit'`: after the commit is visible and handed to the OS, before the fsync. The write
 *   survives a process crash (the OS still holds it) but the last fraction of a second of
 *   writes may roll back on power loss. The store is never corrupted either way.
 */
export type LmdbDurability = 'flush' | 'commit';

/** Options of {@link LmdbStore.open}. */
export interface LmdbStoreOptions {
  /** When writes resolve; see {@link LmdbDurability}. Default `'flush'`. */
  readonly durability?: LmdbDurability;
}

/**
 * A durable {@link KeyValueStore} on LMDB (lmdb-js): one B+tree in a memory-mapped file,
 * copy-on-write, so a crash at any instant leaves the last committed state intact.
 *
 * Guarantees beyond the port's:
 * - **Durability**: see {@link LmdbDurability}. Writes issued in the same event-loop turn share
 *   one transaction and one fsync, so concurrent writers are cheap; a lone `await put` costs
 *   one fsync.
 * - **Exclusive**: the directory is locked against every other store, in this process or
 *   another; a lock left by a dead process is taken over (see `DirectoryLock`).
 * - **Checked on open**: a path holding anything but a Shoal LMDB store fails with a ShoalError
 *   `CORRUPT_DATA` naming the path, before LMDB (which would crash on a foreign file) sees it.
 * - **Limits**: keys up to {@link LmdbStore.maxKeyBytes} bytes (`LIMIT_EXCEEDED` beyond);
 *   values of any size the disk holds. The map file grows on demand.
 */
export class LmdbStore implements KeyValueStore {
  /** The longest key `put` and `batch` accept. */
  static readonly maxKeyBytes = MAX_KEY_BYTES;

  readonly #db: RootDatabase<Uint8Array, Uint8Array>;
  readonly #lock: DirectoryLock;
  readonly #path: string;
  readonly #flush: boolean;
  /** Open range iterators, ended on close so no read transaction outlives the environment. */
  readonly #scans = new Set<Iterator<unknown>>();
  #closing: Promise<void> | undefined;

  private constructor(
    db: RootDatabase<Uint8Array, Uint8Array>,
    lock: DirectoryLock,
    path: string,
    flush: boolean,
  ) {
    this.#db = db;
    this.#lock = lock;
    this.#path = path;
    this.#flush = flush;
  }

  /**
   * Opens the store in directory `path`, creating it if missing. Fails with `CORRUPT_DATA` when
   * the directory holds anything else, `STORAGE` when another process has it open or the disk
   * fails, `INVALID_ARGUMENT` for bad options.
   */
  static async open(path: string, options: LmdbStoreOptions = {}): Promise<LmdbStore> {
    if (typeof path !== 'string' || path.length === 0) {
      throw new ShoalError(ErrorCode.InvalidArgument, 'LmdbStore.open needs a directory path');
    }
    const durability = options.durability ?? 'flush';
    if (durability !== 'flush' && durability !== 'commit') {
      throw new ShoalError(ErrorCode.InvalidArgument, `Unknown durability ${String(durability)}`);
    }
    const directory = resolve(path);
    prepareDirectory(directory);
    const lock = DirectoryLock.acquire(directory);
    try {
      const check = checkDataFile(join(directory, 'data.mdb'));
      if (check.kind === 'foreign') throw corrupt(directory, `its data.mdb ${check.reason}`);
      let db: RootDatabase<Uint8Array, Uint8Array>;
      try {
        db = open<Uint8Array, Uint8Array>({
          path: directory,
          noSubdir: false,
          keyEncoding: 'binary',
          encoding: 'binary',
        });
      } catch (error) {
        throw new ShoalError(ErrorCode.Storage, `Store ${directory}: LMDB cannot open it`, {
          cause: error,
          details: { path: directory },
        });
      }
      try {
        await checkFormat(db, directory);
      } catch (error) {
        await db.close();
        throw error;
      }
      return new LmdbStore(db, lock, directory, durability === 'flush');
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** The absolute directory this store lives in. */
  get path(): string {
    return this.#path;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    if (key.length > MAX_KEY_BYTES) return undefined; // could never have been written
    const value = this.#engine(() => this.#db.get(dataKey(key)));
    return value === undefined ? undefined : new Uint8Array(value);
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#checkOpen();
    checkKey(key);
    // lmdb-js reads the value buffer later, on its write thread: hand it a private copy.
    await this.#write(() => this.#db.put(dataKey(key), Buffer.from(value)));
  }

  async delete(key: Uint8Array): Promise<void> {
    this.#checkOpen();
    if (key.length > MAX_KEY_BYTES) return;
    await this.#write(() => this.#db.remove(dataKey(key)));
  }

  async batch(operations: readonly BatchOperation[]): Promise<void> {
    this.#checkOpen();
    // Validate and copy everything first, so a bad operation changes nothing.
    const stored = operations.map((operation) => {
      checkKey(operation.key);
      if (operation.type === 'put')
        return { key: dataKey(operation.key), value: Buffer.from(operation.value) };
      if (operation.type === 'delete') return { key: dataKey(operation.key), value: undefined };
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        `Unknown batch operation ${String((operation as { type: unknown }).type)}`,
      );
    });
    if (stored.length === 0) return;
    // One transaction callback is one LMDB transaction: all or nothing, applied in order.
    await this.#write(() =>
      this.#db.transaction(() => {
        for (const { key, value } of stored) {
          if (value === undefined) void this.#db.remove(key);
          else void this.#db.put(key, value);
        }
      }),
    );
  }

  /**
   * Entries under `prefix` in unsigned-byte key order, read lazily from one snapshot taken at
   * the first `next()`: writes made while iterating are not seen. Ending the loop early frees
   * the snapshot; `close()` ends every open scan, whose next step then rejects with `CLOSED`.
   */
  async *scan(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    if (prefix.length > MAX_KEY_BYTES) return;
    const range = prefixRange(prefix);
    const iterator = this.#engine(() => this.#db.getRange(range)[Symbol.iterator]());
    this.#scans.add(iterator);
    try {
      while (true) {
        this.#checkOpen();
        const next = this.#engine(() => iterator.next());
        if (next.done === true) return;
        yield [userKey(next.value.key), new Uint8Array(next.value.value)];
      }
    } finally {
      if (this.#scans.delete(iterator)) iterator.return?.();
    }
  }

  /**
   * Waits for writes already issued to become durable, ends open scans, closes the engine and
   * releases the directory lock. Idempotent; every other call made afterwards rejects `CLOSED`.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const iterator of this.#scans) iterator.return?.();
    this.#scans.clear();
    try {
      await this.#db.close();
    } finally {
      this.#lock.release();
    }
  }

  async #write(start: () => Promise<unknown>): Promise<void> {
    try {
      await start();
      // `put`/`remove`/`transaction` resolve at commit; `flushed` resolves once the latest
      // commit (and so every earlier one: flushes complete in order) is fsynced.
      if (this.#flush) await this.#db.flushed;
    } catch (error) {
      throw storageFailure(this.#path, error);
    }
  }

  #engine<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw storageFailure(this.#path, error);
    }
  }

  #checkOpen(): void {
    if (this.#closing !== undefined)
      throw new ShoalError(ErrorCode.Closed, `LmdbStore ${this.#path} is closed`);
  }
}

function checkKey(key: Uint8Array): void {
  if (key.length > MAX_KEY_BYTES) {
    throw new ShoalError(
      ErrorCode.LimitExceeded,
      `Key of ${key.length} bytes exceeds ${MAX_KEY_BYTES} bytes`,
      {
        details: { limit: MAX_KEY_BYTES, size: key.length },
      },
    );
  }
}

/** Creates `directory`, or checks that it holds nothing but a store's own files. */
function prepareDirectory(directory: string): void {
  try {
    if (!statSync(directory).isDirectory()) throw corrupt(directory, 'it is a file, not a store directory');
  } catch (error) {
    if (isShoalError(error)) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw storageFailure(directory, error);
    try {
      mkdirSync(directory, { recursive: true });
    } catch (mkdirError) {
      throw storageFailure(directory, mkdirError);
    }
    return;
  }
  const foreign = readdirSync(directory).filter(
    (name) => !STORE_FILES.has(name) && !name.startsWith(`${LOCK_FILE}.`),
  );
  if (foreign.length > 0) {
    throw corrupt(directory, `it holds files a Shoal store never writes (${foreign.slice(0, 3).join(', ')})`);
  }
}

/** Writes the format marker into an empty store, or checks the one already there. */
async function checkFormat(db: RootDatabase<Uint8Array, Uint8Array>, directory: string): Promise<void> {
  const marker = db.get(FORMAT_KEY);
  if (marker === undefined) {
    for (const _ of db.getKeys({ limit: 1 }))
      throw corrupt(directory, 'it holds LMDB data Shoal did not write');
    await db.put(FORMAT_KEY, Buffer.from(FORMAT));
    await db.flushed;
  } else if (!bytesEqual(marker, FORMAT)) {
    const shown = new TextDecoder().decode(marker.subarray(0, 64));
    throw corrupt(
      directory,
      `its format marker is ${JSON.stringify(shown)}, not ${new TextDecoder().decode(FORMAT)}`,
    );
  }
}

function corrupt(directory: string, why: string): ShoalError {
  return new ShoalError(ErrorCode.CorruptData, `${directory} is not a Shoal LMDB store: ${why}`, {
    details: { path: directory },
  });
}

function storageFailure(directory: string, error: unknown): ShoalError {
  if (isShoalError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ShoalError(ErrorCode.Storage, `Store ${directory}: ${message}`, {
    cause: error,
    details: { path: directory },
  });
}
