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
  const sum =
    ((stored[end] as number) |
      ((stored[end + 1] as number) << 8) |
      ((stored[end + 2] as number) << 16) |
      ((stored[end + 3] as number) << 24)) >>>
    0;
  return sum === crc32(body) ? body : undefined;
}
