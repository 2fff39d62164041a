import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, ShoalError } from '@shoal/core';

/** Name of the lock file inside a store directory. Temporary files share it as a prefix. */
export const LOCK_FILE = 'shoal.lock';

/** What a lock file records about its owner. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** Process start time from /proc (Linux), so a reused pid is not mistaken for the owner. */
  readonly started: string | undefined;
  readonly token: string;
}

/**
 * An exclusive, advisory lock on a store directory held by one process, as a lock file that
 * names the owner's pid. LMDB itself lets many processes share an environment, so this is what
 * keeps a second Shoal process (or a second store in the same process) off the data.
 *
 * Guarantees: creation is atomic (the lock file is written under a temporary name and
 * hard-linked into place, so no one ever reads a half-written lock). A lock left by a process
 * that died (SIGKILL, power loss) is detected as stale and taken over: its pid no longer
 * exists, or exists but started at another time (pid reuse, Linux). A lock written on another
 * host (a shared network directory) is never taken over, because its owner cannot be checked.
 * Two processes taking over the same stale lock at the same instant are resolved by a rename
 * and a re-read; only the one that moved the stale file proceeds.
 */
export class DirectoryLock {
  readonly #path: string;
  readonly #token: string;
  #released = false;

  private constructor(path: string, token: string) {
    this.#path = path;
    this.#token = token;
  }

  /** Takes the lock on `directory`, or throws a ShoalError `STORAGE` naming the owner. */
  static acquire(directory: string): DirectoryLock {
    const path = join(directory, LOCK_FILE);
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      started: startTime(process.pid),
      token: randomBytes(8).toString('hex'),
    };
    const temporary = `${path}.${owner.token}`;
    writeFileSync(temporary, JSON.stringify(owner));
    try {
      // Three attempts: each failed one removed a stale lock, so only a busy race gets here.
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(temporary, path);
          return new DirectoryLock(path, owner.token);
        } catch (error) {
          if (!isErrno(error, 'EEXIST')) throw storageError(directory, 'cannot create the lock file', error);
        }
        const existing = readOwner(path);
        if (existing === undefined) continue; // released between our link and our read
        if (!isStale(existing)) {
          throw new ShoalError(
            ErrorCode.Storage,
            `Store ${directory} is locked by process ${existing.pid} on ${existing.host}; ` +
              'only one process may open a store. If that process is gone, delete ' +
              `${path} and retry.`,
            { details: { path: directory, reason: 'locked', pid: existing.pid, host: existing.host } },
          );
        }
        removeStale(path, existing, owner.token);
      }
      throw storageError(directory, 'lost the race for the lock file three times', undefined);
    } finally {
      unlinkSync(temporary);
    }
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (readOwner(this.#path)?.token === this.#token) unlinkQuietly(this.#path);
  }
}

function readOwner(path: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  const parsed = parseOwner(text);
  // Anything unparseable was not written by DirectoryLock: refuse rather than guess.
  if (parsed === undefined) {
    throw new ShoalError(ErrorCode.CorruptData, `Lock file ${path} is not a Shoal lock file`, {
      details: { path },
    });
  }
  return parsed;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, host, started, token } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
    if (typeof host !== 'string' || typeof token !== 'string') return undefined;
    if (started !== undefined && typeof started !== 'string') return undefined;
    return { pid, host, started, token };
  } catch {
    return undefined;
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (!isAlive(owner.pid)) return true;
  const started = startTime(owner.pid);
  return owner.started !== undefined && started !== undefined && started !== owner.started;
}

/** Moves the stale lock aside, and puts it back if it turns out another process just took it. */
function removeStale(path: string, stale: LockOwner, token: string): void {
  const aside = `${path}.stale-${token}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return; // another process removed it first
    throw error;
  }
  const moved = readOwner(aside);
  if (moved !== undefined && moved.token !== stale.token) {
    // A competitor replaced the stale lock between our read and our rename: restore its lock.
    try {
      linkSync(aside, path);
    } catch {
      // A third process holds the path now; the competitor will find its lock gone on release.
    }
  }
  unlinkQuietly(aside);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return !isErrno(error, 'ESRCH');
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined off Linux. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is parenthesised and may contain spaces: split after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone: the goal is reached.
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function storageError(directory: string, what: string, cause: unknown): ShoalError {
  return new ShoalError(ErrorCode.Storage, `Store ${directory}: ${what}`, {
    cause,
    details: { path: directory },
  });
}
