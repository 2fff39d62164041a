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

/** The value inside `stored` (a view), or undefined when its checksum does not match. */
export function openValue(stored: Uint8Array): Uint8Array | undefined {
  if (stored.length < CHECKSUM_BYTES) return undefined;
  const body = stored.subarray(0, stored.length - CHECKSUM_BYTES);
  const view = Buffer.from(stored.buffer, stored.byteOffset + body.length, CHECKSUM_BYTES);
  return view.readUInt32LE(0) === crc32(body) ? body : undefined;
}
