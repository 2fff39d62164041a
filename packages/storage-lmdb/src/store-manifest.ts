import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, ShoalError } from '@shoal/core';

/** Name of the manifest inside a store directory; temporaries are `shoal.manifest.<hex>`. */
export const MANIFEST_FILE = 'shoal.manifest';

/**
 * What a store directory remembers outside its data file: which store it holds and how many
 * times it was opened. Its presence says "a store lived here", so a data file that vanished
 * or was emptied is noticed instead of silently starting over; its generation, also written
 * into the data on each open, tells an older copy of the data (a restored backup) apart.
 */
export interface StoreManifest {
  /** Random id of the store, hex; the data file holds the same. */
  readonly storeId: string;
  /** Number of the latest open; the data file's generation must be at least this. */
  readonly generation: number;
}

/** Reads the manifest of `directory`, undefined when it has none. */
export function readManifest(directory: string): StoreManifest | undefined {
  const path = join(directory, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ShoalError(ErrorCode.Storage, `Store ${directory}: cannot read ${path}`, {
      cause: error,
      details: { path: directory },
    });
  }
  const manifest = parseManifest(text);
  if (manifest === undefined) {
    throw new ShoalError(
      ErrorCode.CorruptData,
      `Store ${directory}: ${path} is not a Shoal store manifest. If the data file is intact, ` +
        'delete the manifest and open again (it is rewritten from the data).',
      { details: { path: directory, reason: 'manifest' } },
    );
  }
  return manifest;
}

/**
 * Replaces the manifest atomically and durably: written under a temporary name, fsynced,
 * renamed over the old one, and the directory fsynced, so a crash leaves the old or the new.
 */
export function writeManifest(directory: string, manifest: StoreManifest): void {
  const path = join(directory, MANIFEST_FILE);
  const temporary = `${path}.${randomBytes(6).toString('hex')}`;
  try {
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify(manifest));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    const dir = openSync(directory, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Never created, or already renamed: nothing to clean up.
    }
    throw error;
  }
}

function parseManifest(text: string): StoreManifest | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { storeId, generation } = value as Record<string, unknown>;
    if (typeof storeId !== 'string' || !/^[0-9a-f]{32}$/.test(storeId)) return undefined;
    if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0)
      return undefined;
    return { storeId, generation };
  } catch {
    return undefined;
  }
}
