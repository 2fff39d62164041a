import { AEAD_NONCE_BYTES } from '../ports/aead.js';
import type { ByteReader } from '../wire/byte-reader.js';
import type { ByteWriter } from '../wire/byte-writer.js';
import type { KeyId } from './network-key.js';
import { NETWORK_TAG_BYTES } from './network-key.js';

/**
 * Envelope format version. Part of the protocol: a receiver drops any other version with
 * reason `version`. Only ever incremented.
 */
export const ENVELOPE_VERSION = 6;

/** Envelope modes on the wire. Values are part of the protocol: only append. */
export const EnvelopeMode = {
  /** No secret: the body travels in the clear, unauthenticated. */
  Open: 0,
  /** XChaCha20-Poly1305 ciphertext, the whole header as associated data. */
  Sealed: 1,
  /**
   * As {@link EnvelopeMode.Sealed}, under the key the sender and receiver share (derived from
   * their identity keys and the network key, {@link PeerKeys}): authentic as from that node.
   */
  Paired: 2,
} as const;

/** One of the {@link EnvelopeMode} values. */
export type EnvelopeMode = (typeof EnvelopeMode)[keyof typeof EnvelopeMode];

/**
 * The decoded header of an envelope: the network tag only when open, `keyId` and `nonce` only
 * when sealed (a key id names the network's key already, so a tag beside it would only spend
 * 8 bytes a message and tell an observer the network's name).
 */
export type EnvelopeHeader = {
  readonly epoch: number;
  readonly counter: number;
} & (
  | { readonly mode: typeof EnvelopeMode.Open; readonly networkTag: Uint8Array }
  | {
      readonly mode: typeof EnvelopeMode.Sealed | typeof EnvelopeMode.Paired;
      readonly keyId: KeyId;
      readonly nonce: Uint8Array;
    }
);

/**
 * Writes the header (see docs/protocol.md §4 for the grammar):
 * `version u8, mode u8, (open: network tag [8]; sealed, paired: key id u32 BE), epoch varint,
 * counter varint, (sealed, paired: nonce [24])`. The sender is not written: every transport reports who sent a message,
 * and sealing binds that id as associated data (ADR 0010), so it would only repeat 17 bytes.
 */
export function writeEnvelopeHeader(writer: ByteWriter, header: EnvelopeHeader): void {
  writer.writeU8(ENVELOPE_VERSION).writeU8(header.mode);
  if (header.mode === EnvelopeMode.Open) writer.writeRaw(header.networkTag);
  else writer.writeU32(header.keyId);
  writer.writeVarint(header.epoch).writeVarint(header.counter);
  if (header.mode !== EnvelopeMode.Open) writer.writeRaw(header.nonce);
}

/**
 * Reads a header written by {@link writeEnvelopeHeader}, version byte included, failing (through
 * the reader, so wrap it in `readAll`) on another version, an unknown mode or any out-of-range
 * field.
 */
export function readEnvelopeHeader(reader: ByteReader): EnvelopeHeader {
  if (reader.readU8() !== ENVELOPE_VERSION) reader.fail('unsupported envelope version');
  const mode = reader.readU8();
  if (mode !== EnvelopeMode.Open && mode !== EnvelopeMode.Sealed && mode !== EnvelopeMode.Paired)
    reader.fail(`unknown envelope mode ${mode}`);
  if (mode === EnvelopeMode.Open) {
    const networkTag = reader.readRaw(NETWORK_TAG_BYTES);
    return { mode, networkTag, epoch: reader.readVarint(), counter: reader.readVarint() };
  }
  const keyId = reader.readU32();
  const epoch = reader.readVarint();
  const counter = reader.readVarint();
  return { mode, keyId, epoch, counter, nonce: reader.readRaw(AEAD_NONCE_BYTES) };
}
