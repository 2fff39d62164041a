import { statfsSync } from 'node:fs';
import { ErrorCode, isShoalError, ShoalError } from '@shoal/core';

/** Why a store's data is refused; in `details.reason` of a `CORRUPT_DATA` error. */
export type CorruptReason = 'foreign' | 'truncated' | 'damaged' | 'checksum' | 'manifest';

const RECOVER =
  'Nothing was changed. Restore data.mdb from a backup copied while the store was closed, or ' +
  'move the directory aside and open a new store there (a node on it starts over and ' +
  'resyncs from its peers).';

/** `CORRUPT_DATA` for `directory`: what is wrong and, for damage, what the operator can do. */
export function corrupt(directory: string, reason: CorruptReason, why: string): ShoalError {
  const message =
    reason === 'foreign'
      ? `${directory} is not a Shoal LMDB store: ${why}`
      : `Store ${directory} is damaged: ${why}. ${RECOVER}`;
  return new ShoalError(ErrorCode.CorruptData, message, { details: { path: directory, reason } });
}

/** `DATA_MISSING`: the directory's manifest says a store lived here, but its data is gone. */
export function missing(directory: string, found: 'absent' | 'empty'): ShoalError {
  return new ShoalError(
    ErrorCode.DataMissing,
    `Store ${directory} has lost its data: data.mdb is ${found === 'absent' ? 'missing' : 'empty'}, ` +
      'although the store was opened here before. Nothing was created. Restore data.mdb from a ' +
      "backup, or open with ifDataMissing: 'start-fresh' to begin a new, empty store (a node " +
      'on it gets a new identity and resyncs from its peers).',
    { details: { path: directory, reason: found } },
  );
}

/** `DATA_REPLACED`: data.mdb is an older copy, or belongs to another store. */
export function replaced(directory: string, reason: 'older' | 'other-store', why: string): ShoalError {
  return new ShoalError(
    ErrorCode.DataReplaced,
    `Store ${directory}: data.mdb is not the data this directory last held (${why}). A node on ` +
      'an older copy may reissue stream entries its peers already hold with other content. ' +
      "If you restored it on purpose, open with ifDataReplaced: 'accept'.",
    { details: { path: directory, reason } },
  );
}

/**
 * {@link storageFailure} for a rejected lmdb-js write. lmdb-js rejects every write of a failed
 * commit with a generic "Commit failed" error whose `commitError` promise carries the cause
 * (ENOSPC, ...); that promise rejects in the same native callback, so it has settled by the
 * time this runs. Handling it here also keeps it from killing the process as an unhandled
 * rejection.
 */
export async function writeFailure(directory: string, error: unknown): Promise<ShoalError> {
  const commitError = (error as { commitError?: unknown } | undefined)?.commitError;
  if (!(commitError instanceof Promise)) return storageFailure(directory, error);
  const cause = await Promise.race([
    commitError.then(
      () => undefined,
      (reason: unknown) => reason,
    ),
    new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined))),
  ]);
  return storageFailure(directory, cause ?? error);
}

/** Errors the storage device raises when it has no room left (errno, and LMDB's map-full). */
const FULL = /ENOSPC|No space left on device|MDB_MAP_FULL|EDQUOT|Disk quota exceeded/;

/**
 * LMDB reports a write the file system took only in part as EIO (it has no better code), which
 * is what a disk that fills up mid-commit gives.
 */
function isShortWrite(message: string, code: unknown): boolean {
  return /EIO|Input\/output error/.test(message) || code === 'EIO' || code === 5;
}

/** True when the file system holding `directory` has no block left for an unprivileged writer. */
function noSpaceLeft(directory: string): boolean {
  try {
    return statfsSync(directory).bavail === 0;
  } catch {
    return false;
  }
}

/**
 * A failure of the engine or the file system as a ShoalError: `STORAGE_FULL` when the device
 * is out of space (the write was not applied; retry once space is freed), including LMDB's EIO
 * for a short write on a file system that is full; else `STORAGE`.
 */
export function storageFailure(directory: string, error: unknown): ShoalError {
  if (isShoalError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  // lmdb-js reports errno as a number (28 is ENOSPC, 122 EDQUOT on Linux).
  const full = FULL.test(message) || code === 'ENOSPC' || code === 'EDQUOT' || code === 28 || code === 122;
  if (full || (isShortWrite(message, code) && noSpaceLeft(directory))) {
    return new ShoalError(
      ErrorCode.StorageFull,
      `Store ${directory}: the disk is full; the write was not applied (${message}). Free space and retry.`,
      { cause: error, details: { path: directory } },
    );
  }
  return new ShoalError(ErrorCode.Storage, `Store ${directory}: ${message}`, {
    cause: error,
    details: { path: directory },
  });
}
