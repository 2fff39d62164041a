/**
 * The opaque `source` a hub reports with each inbound message: a tag byte and the
 * connection's serial number. Core hands it back through `addPeerAddress` only after the
 * message authenticated, which is when the hub binds the connection to the sender's id.
 * The tag keeps it apart from UDP addresses (family byte 4 or 6) that membership may gossip.
 */
const TOKEN_TAG = 0x57; // "W"
const TOKEN_BYTES = 5;

export function encodeConnectionToken(serial: number): Uint8Array {
  const token = new Uint8Array(TOKEN_BYTES);
  token[0] = TOKEN_TAG;
  new DataView(token.buffer).setUint32(1, serial);
  return token;
}

/** The serial in `token`, or undefined for any other bytes. Total. */
export function decodeConnectionToken(token: Uint8Array): number | undefined {
  if (token.length !== TOKEN_BYTES || token[0] !== TOKEN_TAG) return undefined;
  return new DataView(token.buffer, token.byteOffset, TOKEN_BYTES).getUint32(1);
}
