import { randomBytes } from 'node:crypto';
import { bytesEqual } from '@shoal/core';
import type { RootDatabase } from 'lmdb';
import type { EntryCheck } from './data-file/tree-walk.js';
import { DATA_TAG, FORMAT_KEY, GENERATION_KEY, META_TAG, STORE_ID_KEY } from './key-space.js';
import { corrupt, replaced } from './store-errors.js';
import { type StoreManifest, writeManifest } from './store-manifest.js';
import { checksumMatches, sealValue } from './value-checksum.js';

type Db = RootDatabase<Uint8Array, Uint8Array>;

const encoder = new TextEncoder();
/** Format marker of a store whose values carry a CRC-32. */
const FORMAT = encoder.encode('shoal-kv-lmdb/2');
/** The first format, without value checksums: upgraded in place on open. */
const FORMAT_V1 = encoder.encode('shoal-kv-lmdb/1');
/** Metadata entries every open store holds: format, store id, generation. */
export const META_KEYS = 3;

/**
 * A check for {@link verifySnapshot}: every user value must match its checksum. The format
 * marker sorts first (its tag is lowest), so the walk knows whether values carry checksums
 * before it meets one; a store without the current marker is left to {@link checkFormat}.
 */
export function entryChecker(): EntryCheck {
  let checksummed = false;
  return (key, value) => {
    if (key[0] === META_TAG) {
      if (bytesEqual(key, FORMAT_KEY)) checksummed = bytesEqual(value, FORMAT);
      return undefined;
    }
    if (!checksummed || key[0] !== DATA_TAG || checksumMatches(value)) return undefined;
    return {
      reason: 'checksum',
      message: `the value of key ${key.subarray(1, 33).toString('hex')} fails its checksum`,
    };
  };
}

/**
 * Writes the format marker into an empty store, upgrades a first-format store (adds value
 * checksums, one transaction), or checks the marker already there.
 */
export async function checkFormat(db: Db, directory: string): Promise<void> {
  const marker = db.get(FORMAT_KEY);
  if (marker === undefined) {
    for (const _ of db.getKeys({ limit: 1 }))
      throw corrupt(directory, 'foreign', 'it holds LMDB data Shoal did not write');
    await db.put(FORMAT_KEY, Buffer.from(FORMAT));
  } else if (bytesEqual(marker, FORMAT_V1)) {
    const entries = [...db.getRange({ start: Uint8Array.of(DATA_TAG), end: Uint8Array.of(DATA_TAG + 1) })];
    await db.transaction(() => {
      for (const { key, value } of entries) void db.put(key, sealValue(value));
      void db.put(FORMAT_KEY, Buffer.from(FORMAT));
    });
  } else if (!bytesEqual(marker, FORMAT)) {
    const shown = new TextDecoder().decode(marker.subarray(0, 64));
    throw corrupt(
      directory,
      'foreign',
      `its format marker is ${JSON.stringify(shown)}, not ${new TextDecoder().decode(FORMAT)}`,
    );
  }
}

/**
 * Checks that the data is the one `manifest` (the directory's memory of its store) expects —
 * same store id, generation not older — unless `accept`; then counts this open: the data and
 * the manifest both get the next generation (data first and durable, so a crash in between
 * leaves data ahead of the manifest, which is fine).
 */
export async function checkIdentity(
  db: Db,
  directory: string,
  manifest: StoreManifest | undefined,
  accept: boolean,
): Promise<void> {
  const idBytes = db.get(STORE_ID_KEY);
  const storedId = idBytes === undefined ? undefined : Buffer.from(idBytes).toString('hex');
  const generationBytes = db.get(GENERATION_KEY);
  const generation =
    generationBytes?.length === 8 ? Number(Buffer.from(generationBytes).readBigUInt64LE(0)) : 0;
  if (manifest !== undefined && !accept) {
    if (storedId !== manifest.storeId) {
      throw replaced(
        directory,
        'other-store',
        `it holds store ${storedId ?? '(none)'}, not ${manifest.storeId}`,
      );
    }
    if (generation < manifest.generation) {
      throw replaced(
        directory,
        'older',
        `it was last opened at generation ${generation}; this directory has seen ${manifest.generation}`,
      );
    }
  }
  const storeId = storedId ?? randomBytes(16).toString('hex');
  const next = Math.max(generation, manifest?.generation ?? 0) + 1;
  const nextBytes = Buffer.alloc(8);
  nextBytes.writeBigUInt64LE(BigInt(next));
  await db.transaction(() => {
    void db.put(STORE_ID_KEY, Buffer.from(storeId, 'hex'));
    void db.put(GENERATION_KEY, nextBytes);
  });
  await db.flushed;
  writeManifest(directory, { storeId, generation: next });
}
