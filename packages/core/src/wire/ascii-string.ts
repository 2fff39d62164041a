/**
 * Short strings read by hand below this length: an engine copies a short string on every `+=`,
 * so building it a character at a time stays flat and is the cheapest way.
 */
const CONCAT_MAX = 12;
/** Longest string {@link asciiString} reads (its callers decode longer ones natively). */
export const ASCII_STRING_MAX = 64;

/** Char codes of the string being read: reused, so reading allocates only the string. */
const codes: number[] = [];

/**
 * The string held as ASCII in `bytes[start, end)` (at most {@link ASCII_STRING_MAX} bytes), or
 * `undefined` when a byte is not ASCII (the caller decodes UTF-8 then).
 *
 * Guarantee: the string is flat. Built by `+=` past a dozen characters, a string is a chain of
 * one node per character: a 32-character key then held about 600 bytes of heap instead of 44,
 * for as long as the key lived (every key of a loaded channel).
 */
export function asciiString(bytes: Uint8Array, start: number, end: number): string | undefined {
  const length = end - start;
  if (length <= CONCAT_MAX) {
    let text = '';
    for (let i = start; i < end; i++) {
      const byte = bytes[i] as number;
      if (byte >= 0x80) return undefined;
      text += String.fromCharCode(byte);
    }
    return text;
  }
  if (length > ASCII_STRING_MAX) throw new RangeError(`asciiString reads at most ${ASCII_STRING_MAX} bytes`);
  codes.length = length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[start + i] as number;
    if (byte >= 0x80) return undefined;
    codes[i] = byte;
  }
  return String.fromCharCode.apply(null, codes);
}
