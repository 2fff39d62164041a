// RFC 4648 §5 alphabet: URL- and filename-safe, so an invite token needs no escaping.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Map([...ALPHABET].map((char, index) => [char, index]));

/** Unpadded base64url (RFC 4648 §5) of `bytes`. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const triple = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[(triple >> 18) & 63];
    out += ALPHABET[(triple >> 12) & 63];
    if (b !== undefined) out += ALPHABET[(triple >> 6) & 63];
    if (c !== undefined) out += ALPHABET[triple & 63];
  }
  return out;
}

/**
 * Decodes unpadded base64url. Returns `undefined` for any character outside the alphabet, an
 * impossible length, or non-zero trailing bits (so every byte string has exactly one encoding
 * and a mistyped last character is caught rather than silently ignored).
 */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let buffered = 0;
  let written = 0;
  for (const char of text) {
    const value = VALUE.get(char);
    if (value === undefined) return undefined;
    buffered = ((buffered << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = (buffered >> bits) & 0xff;
    }
  }
  if ((buffered & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
