import { type DecodeResult, readAll } from '../wire/byte-reader.js';
import { ByteWriter, varintSize } from '../wire/byte-writer.js';
import { MessageType, PROTOCOL_VERSION } from './message-type.js';

/** A decoded inner envelope: what was inside a sealed (or open) datagram. */
export interface Envelope {
  readonly type: MessageType;
  /** Membership gossip riding along (SWIM §4.1 piggybacking); empty when none. */
  readonly piggyback: Uint8Array;
  readonly body: Uint8Array;
}

/** Bytes the envelope adds to a body without piggyback. */
export const ENVELOPE_OVERHEAD = 3;

/**
 * Writes `[version u8][type u8][piggyback length varint][piggyback][body]`. The sealing layer
 * wraps these bytes; they are the plaintext of every datagram.
 */
export function encodeEnvelope(type: MessageType, body: Uint8Array, piggyback?: Uint8Array): Uint8Array {
  const extra = piggyback?.length ?? 0;
  const writer = new ByteWriter(2 + varintSize(extra) + extra + body.length);
  writer.writeU8(PROTOCOL_VERSION).writeU8(type);
  if (piggyback === undefined) writer.writeVarint(0);
  else writer.writeBytes(piggyback);
  return writer.writeRaw(body).finish();
}

const KNOWN_TYPES = new Set<number>(Object.values(MessageType));

/** Reads an envelope from authenticated bytes; unknown versions and types are refused. */
export function decodeEnvelope(bytes: Uint8Array): DecodeResult<Envelope> {
  return readAll(bytes, (reader) => {
    const version = reader.readU8();
    if (version !== PROTOCOL_VERSION) reader.fail(`unsupported protocol version ${version}`);
    const type = reader.readU8();
    if (!KNOWN_TYPES.has(type)) reader.fail(`unknown message type ${type}`);
    const piggyback = reader.readBytes(reader.remaining);
    return { type: type as MessageType, piggyback, body: reader.readRaw(reader.remaining) };
  });
}
