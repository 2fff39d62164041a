import { crc32 } from 'node:zlib';

/** Bytes a checksum adds to each stored value. */
export const CHECKSUM_BYTES = 4;

/**
 * The stored form of a user value: the value, then its CRC-32 (little-endian). LMDB keeps no
 * checksums of its own, so this is how a flipped bit in a value is caught instead of returned.
 * Always a fresh buffer: lmdb-js reads it later, on its write thread.
 */
export function sealValue(value: Uint8Array): Buffer {
  const stored = Buffer.allocUnsafe(value.length + CHECKSUM_BYTES);
  stored.set(value, 0);
  stored.writeUInt32LE(crc32(value), value.length);
  return stored;
}

/** The value inside `stored` (a copy), or undefined when its checksum does not match. */
export function openValue(stored: Uint8Array): Uint8Array | undefined {
  if (stored.length < CHECKSUM_BYTES) return undefined;
  const end = stored.length - CHECKSUM_BYTES;
  // A copy, and the checksum read by hand: any view of what lmdb-js hands out (`subarray`,
  // `.buffer`, `Buffer.from`) cost a microsecond, three times the copy of a small value.
  const body = Uint8Array.prototype.slice.call(stored, 0, end);
  return storedSum(stored, end) === crc32(body) ? body : undefined;
}

/**
 * True when `stored` (a value as stored) carries its body's checksum: {@link openValue} without
 * the copy, for values read from the file's own pages (the open-time walk), where a view is cheap.
 */
export function checksumMatches(stored: Uint8Array): boolean {
  if (stored.length < CHECKSUM_BYTES) return false;
  const end = stored.length - CHECKSUM_BYTES;
  return storedSum(stored, end) === crc32(stored.subarray(0, end));
}

/** The checksum stored after the body, at `end` (little-endian). */
function storedSum(stored: Uint8Array, end: number): number {
  return (
    ((stored[end] as number) |
      ((stored[end + 1] as number) << 8) |
      ((stored[end + 2] as number) << 16) |
      ((stored[end + 3] as number) << 24)) >>>
    0
  );
}
