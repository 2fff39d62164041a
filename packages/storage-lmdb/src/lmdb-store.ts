import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type BatchOperation,
  ErrorCode,
  isShoalError,
  type KeyRange,
  type KeyValueStore,
  ShoalError,
  type StoreStats,
} from '@shoal/core';
import { open, type RangeOptions, type RootDatabase } from 'lmdb';
import { inspectDataFile, verifySnapshot } from './data-file/data-file-check.js';
import { DirectoryLock, LOCK_FILE } from './directory-lock.js';
import { CLOSE_KEY, dataKey, MAX_KEY_BYTES, prefixRange, userKey } from './key-space.js';
import { checkFormat, checkIdentity, entryChecker, META_KEYS } from './open-checks.js';
import { corrupt, missing, storageFailure, writeFailure } from './store-errors.js';
import { MANIFEST_FILE, readManifest } from './store-manifest.js';
import { openValue, sealValue } from './value-checksum.js';

/** The only files a store directory ever holds (plus temporaries named `shoal.lock.*`, `shoal.manifest.*`). */
const STORE_FILES = new Set(['data.mdb', 'lock.mdb', LOCK_FILE, MANIFEST_FILE]);

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
  /**
   * What to do when the directory held a store (it has a manifest) but its `data.mdb` is gone
   * or empty. `'fail'` (default): reject with `DATA_MISSING` and change nothing. `'start-fresh'`:
   * create an empty store with a new id — a node on it is a new node with no history.
   */
  readonly ifDataMissing?: 'fail' | 'start-fresh';
  /**
   * What to do when `data.mdb` is older than the data this directory last opened (a restored
   * backup) or another store's. `'fail'` (default): reject with `DATA_REPLACED`. `'accept'`:
   * open it and adopt it as this directory's store (after a deliberate restore).
   */
  readonly ifDataReplaced?: 'fail' | 'accept';
}

/** Storage footprint of an {@link LmdbStore}; see {@link LmdbStore.stats}. */
export interface LmdbStoreStats extends StoreStats {
  /** User entries stored. */
  readonly entries: number;
  /** Bytes of the pages holding the current data: `usedBytes`. */
  readonly bytes: number;
  /** Size of `data.mdb`: pages in use, free pages kept for reuse, and the B+tree's slack. */
  readonly fileBytes: number;
  /** Bytes of the pages holding the current data (both trees and the meta pages). */
  readonly usedBytes: number;
  /** LMDB page size. */
  readonly pageSize: number;
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
 * - **Checked on open, never a crash**: before LMDB reads a page, every page of the snapshot
 *   it picked is read with plain reads and checked (bounds, kinds, key order, page and entry
 *   counts against the meta page), and every value against its CRC-32. A foreign, truncated
 *   or damaged file fails with `CORRUPT_DATA` (`details.reason`: `foreign`, `truncated`,
 *   `damaged`, `checksum`) instead of a SIGBUS, SIGSEGV, SIGABRT or missing keys. A store whose
 *   data file vanished or was emptied fails with `DATA_MISSING`; an older copy of the data or
 *   another store's fails with `DATA_REPLACED` (see {@link LmdbStoreOptions}). Costs O(file size)
 *   reads at open.
 * - **Checked reads**: a value whose checksum fails is never returned: `get` and `scan` reject
 *   with `CORRUPT_DATA`.
 * - **Disk full**: a write the device has no room for rejects with `STORAGE_FULL` and applies
 *   nothing; acknowledged writes and reads are unaffected, and writes succeed again once
 *   space is freed.
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
  /** Whether the latest write failed (nothing succeeded since); see {@link LmdbStore.close}. */
  #lastWriteFailed = false;

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
   * the directory holds anything else or its data is damaged, `DATA_MISSING` when its data
   * vanished, `DATA_REPLACED` when its data is an older copy or another store's, `STORAGE`
   * when another process has it open or the disk fails, `INVALID_ARGUMENT` for bad options.
   * A refused open changes no data, and no damaged file kills the process.
   */
  static async open(path: string, options: LmdbStoreOptions = {}): Promise<LmdbStore> {
    if (typeof path !== 'string' || path.length === 0) {
      throw new ShoalError(ErrorCode.InvalidArgument, 'LmdbStore.open needs a directory path');
    }
    const durability = choice('durability', options.durability, ['flush', 'commit']);
    const ifDataMissing = choice('ifDataMissing', options.ifDataMissing, ['fail', 'start-fresh']);
    const ifDataReplaced = choice('ifDataReplaced', options.ifDataReplaced, ['fail', 'accept']);
    const directory = resolve(path);
    prepareDirectory(directory);
    const lock = DirectoryLock.acquire(directory);
    try {
      const manifest = readManifest(directory);
      const file = join(directory, 'data.mdb');
      const state = inspectDataFile(file);
      if (state.kind === 'unusable') throw corrupt(directory, state.reason, `its data.mdb ${state.message}`);
      const fresh = state.kind !== 'lmdb';
      if (fresh && manifest !== undefined && ifDataMissing === 'fail') throw missing(directory, state.kind);
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
        if (state.kind === 'lmdb') {
          // LMDB has mapped the file and picked a snapshot but read none of its pages yet.
          const problem = verifySnapshot(
            file,
            state,
            (db.getStats() as LmdbEngineStats).lastTxnId,
            entryChecker,
          );
          if (problem !== undefined)
            throw corrupt(directory, problem.reason, `its data.mdb ${problem.message}`);
        }
        await checkFormat(db, directory);
        await checkIdentity(db, directory, fresh ? undefined : manifest, ifDataReplaced === 'accept');
      } catch (error) {
        // A ShoalError is a finding of the checks (the data may be damaged: write nothing);
        // anything else came from the engine, most likely a failed write.
        const failedWrite = !isShoalError(error);
        if (failedWrite) handleDroppedCommit(db);
        const failure = await writeFailure(directory, error);
        await closeEngine(db, failedWrite).catch(() => undefined); // `failure` is what to report
        throw failure;
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
    const stored = this.#engine(() => this.#db.get(dataKey(key)));
    return stored === undefined ? undefined : this.#unseal(key, stored);
  }

  /**
   * {@link LmdbStore.get}, synchronously: LMDB reads from its memory map (about a microsecond).
   * Sees every committed write. Throws `CORRUPT_DATA` on a value failing its checksum.
   */
  getSync(key: Uint8Array): Uint8Array | undefined {
    this.#checkOpen();
    if (key.length > MAX_KEY_BYTES) return undefined;
    const stored = this.#engine(() => this.#db.getBinary(dataKey(key)));
    return stored === undefined ? undefined : this.#unseal(key, stored);
  }

  /**
   * The entries in `range`, synchronously, from one snapshot, read lazily: a read transaction
   * stays open until the iteration ends (run it to the end or `return()` it).
   */
  *scanSync(range: KeyRange): IterableIterator<[Uint8Array, Uint8Array]> {
    this.#checkOpen();
    const reverse = range.reverse === true;
    const start = dataKey(range.start.subarray(0, MAX_KEY_BYTES));
    const end = dataKey(range.end.subarray(0, MAX_KEY_BYTES));
    yield* this.#read({
      start: reverse ? end : start,
      end: reverse ? start : end,
      reverse,
      // Backwards, lmdb-js takes `start` (our end) in and leaves `end` (our start) out unless
      // told otherwise (options it does not type).
      exclusiveStart: reverse,
      inclusiveEnd: reverse,
      ...(range.limit === undefined ? {} : { limit: range.limit }),
    } as RangeOptions);
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#checkOpen();
    checkKey(key);
    // lmdb-js reads the value buffer later, on its write thread: sealValue makes a private copy.
    await this.#write(() => this.#db.put(dataKey(key), sealValue(value)));
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
      if (operation.type === 'put') return { key: dataKey(operation.key), value: sealValue(operation.value) };
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
    yield* this.#read(prefixRange(prefix));
  }

  /** The user entries of an engine range, read lazily, unsealed; tracked so `close()` ends it. */
  *#read(range: RangeOptions): Generator<[Uint8Array, Uint8Array]> {
    const iterator = this.#engine(() => this.#db.getRange(range)[Symbol.iterator]());
    this.#scans.add(iterator);
    try {
      while (true) {
        this.#checkOpen();
        const next = this.#engine(() => iterator.next());
        if (next.done === true) return;
        const key = userKey(next.value.key);
        yield [key, this.#unseal(key, next.value.value)];
      }
    } finally {
      if (this.#scans.delete(iterator)) iterator.return?.();
    }
  }

  /**
   * The store's footprint on disk, read from LMDB's counters and the file size (no scan).
   * For a node's resource report.
   */
  stats(): LmdbStoreStats {
    this.#checkOpen();
    const stats = this.#engine(() => this.#db.getStats()) as LmdbEngineStats;
    const pages = (tree: LmdbTreeStats) =>
      tree.treeBranchPageCount + tree.treeLeafPageCount + tree.overflowPages;
    const usedBytes = (pages(stats) + pages(stats.free) + 2) * stats.pageSize;
    return {
      entries: stats.entryCount - META_KEYS,
      fileBytes: this.#engine(() => statSync(join(this.#path, 'data.mdb')).size),
      usedBytes,
      bytes: usedBytes,
      pageSize: stats.pageSize,
    };
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
      await closeEngine(this.#db, this.#lastWriteFailed);
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
      this.#lastWriteFailed = false;
    } catch (error) {
      this.#lastWriteFailed = true;
      handleDroppedCommit(this.#db);
      throw await writeFailure(this.#path, error);
    }
  }

  /** The user value inside a stored one (a copy), or CORRUPT_DATA when its checksum fails. */
  #unseal(key: Uint8Array, stored: Uint8Array): Uint8Array {
    const value = openValue(stored);
    if (value === undefined) {
      throw corrupt(
        this.#path,
        'checksum',
        `the value of key ${Buffer.from(key.subarray(0, 32)).toString('hex')} fails its checksum`,
      );
    }
    return new Uint8Array(value);
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
    if (!statSync(directory).isDirectory())
      throw corrupt(directory, 'foreign', 'it is a file, not a store directory');
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
    (name) =>
      !STORE_FILES.has(name) && !name.startsWith(`${LOCK_FILE}.`) && !name.startsWith(`${MANIFEST_FILE}.`),
  );
  if (foreign.length > 0) {
    throw corrupt(
      directory,
      'foreign',
      `it holds files a Shoal store never writes (${foreign.slice(0, 3).join(', ')})`,
    );
  }
}

/**
 * Closes the engine. lmdb-js's close waits for the latest commit's flush, which never comes
 * when that commit failed (disk full): it would hang. So after a failed write, first delete a
 * key that is never written: that commits nothing, succeeds even on a full disk, and gives
 * close a flush to wait for.
 */
async function closeEngine(
  db: RootDatabase<Uint8Array, Uint8Array>,
  afterFailedWrite: boolean,
): Promise<void> {
  if (afterFailedWrite) await db.remove(CLOSE_KEY).catch(() => undefined);
  await db.close();
}

/**
 * Call right after a write of `db` failed. lmdb-js starts each event-turn batch with an
 * internal write whose promise it drops; when the commit fails, that promise rejects unhandled
 * and would end the process. It is still lmdb-js's current commit promise, so handling
 * `committed` now (in the same microtask phase as the failure) handles it.
 */
function handleDroppedCommit(db: RootDatabase<Uint8Array, Uint8Array>): void {
  db.committed.then(undefined, () => undefined);
}

/** `value` when it is one of `allowed` (the first is the default), else INVALID_ARGUMENT. */
function choice<T extends string>(name: string, value: T | undefined, allowed: readonly [T, ...T[]]): T {
  if (value === undefined) return allowed[0];
  if (allowed.includes(value)) return value;
  throw new ShoalError(ErrorCode.InvalidArgument, `Unknown ${name} ${String(value)}`, {
    details: { option: name },
  });
}

/** The part of lmdb-js's `getStats()` this store reads (its typings say `any`). */
interface LmdbTreeStats {
  readonly treeBranchPageCount: number;
  readonly treeLeafPageCount: number;
  readonly overflowPages: number;
}
interface LmdbEngineStats extends LmdbTreeStats {
  /** Transaction of the snapshot LMDB picked (read from the meta pages, no tree page touched). */
  readonly lastTxnId: number;
  readonly pageSize: number;
  readonly entryCount: number;
  readonly free: LmdbTreeStats;
}
