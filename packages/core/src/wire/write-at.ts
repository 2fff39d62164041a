/**
 * Encoders that write at a position of a plain byte array and return the position after what
 * they wrote: for a caller that reserved room for a whole record once (a storage batch), where
 * a {@link ByteWriter} call per field, each checking its room, was most of the cost. Same
 * encodings as {@link ByteWriter}: the caller guarantees the room.
 */

const utf8 = new TextEncoder();
/** 2^28: the bits of four varint bytes. */
const LOW_28 = 0x1000_0000;

/** Most bytes {@link writeVarintAt} writes (a safe integer below 2^53). */
export const MAX_VARINT_BYTES = 8;

/** Most bytes {@link writeStringAt} writes for `value`. */
export function stringBound(value: string): number {
  return 5 + 3 * value.length;
}

/** Unsigned LEB128 of a safe integer in [0, 2^53). */
export function writeVarintAt(bytes: Uint8Array, start: number, value: number): number {
  let at = start;
  let rest = value;
  if (rest >= LOW_28) {
    // The low 28 bits as four bytes, then the rest (below 2^25) with 32-bit operations: the
    // general loop divides floats, and a wall-clock timestamp would take it six times.
    const low = rest % LOW_28;
    bytes[at++] = (low & 0x7f) | 0x80;
    bytes[at++] = ((low >>> 7) & 0x7f) | 0x80;
    bytes[at++] = ((low >>> 14) & 0x7f) | 0x80;
    bytes[at++] = ((low >>> 21) & 0x7f) | 0x80;
    rest = (rest - low) / LOW_28;
  }
  while (rest >= 0x80) {
    bytes[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  bytes[at++] = rest;
  return at;
}

/** `raw` as it is, no length prefix. */
export function writeRawAt(bytes: Uint8Array, at: number, raw: Uint8Array): number {
  bytes.set(raw, at);
  return at + raw.length;
}

/** `source[start .. end)` as it is, no length prefix. */
export function writeRangeAt(
  bytes: Uint8Array,
  at: number,
  source: Uint8Array,
  start: number,
  end: number,
): number {
  const length = end - start;
  // A short range byte by byte: a view of it would be an allocation per record.
  if (length <= 32) for (let i = 0; i < length; i++) bytes[at + i] = source[start + i] as number;
  else bytes.set(source.subarray(start, end), at);
  return at + length;
}

/** Varint byte length, then UTF-8 (a lone surrogate becomes U+FFFD, as `TextEncoder` writes it). */
export function writeStringAt(bytes: Uint8Array, at: number, value: string): number {
  // Fast path for short ASCII (keys, names, ids): no temporary array.
  if (value.length < 128) {
    let i = 0;
    for (; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) break;
      bytes[at + 1 + i] = code;
    }
    if (i === value.length) {
      bytes[at] = value.length;
      return at + 1 + value.length;
    }
  }
  const encoded = utf8.encode(value);
  return writeRawAt(bytes, writeVarintAt(bytes, at, encoded.length), encoded);
}
