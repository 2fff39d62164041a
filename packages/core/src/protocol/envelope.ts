import { type Compression, fflateCompression } from '../ports/compression.js';
import { type DecodeResult, readAll } from '../wire/byte-reader.js';
import { ByteWriter, varintSize } from '../wire/byte-writer.js';
import { MessageType } from './message-type.js';

/** A decoded inner envelope: what was inside a sealed (or open) datagram. */
export interface Envelope {
  readonly type: MessageType;
  /** Membership gossip riding along (SWIM §4.1 piggybacking); empty when none. */
  readonly piggyback: Uint8Array;
  readonly body: Uint8Array;
}

/** Bytes the envelope adds to a body without piggyback. */
export const ENVELOPE_OVERHEAD = 1;

/** Set in the type byte when the body is deflated (RFC 1951), preceded by its raw length. */
const COMPRESSED = 0x80;
/** Set in the type byte when membership gossip rides along, preceded by its length. */
const PIGGYBACK = 0x40;
/** Bodies shorter than this are never worth compressing. */
const MIN_COMPRESSIBLE = 128;
/** The largest body a compressed envelope may inflate to: no decompression bombs. */
export const MAX_INFLATED_BYTES = 1024 * 1024;

/**
 * Writes `[type u8][piggyback length varint, piggyback: when any][body]`. The type byte's bit 6
 * says a piggyback follows; a digest or delta body of at least 128 bytes that deflates smaller
 * is sent deflated: the type byte gets its high bit and the body becomes `[raw length
 * varint][deflate data]`. The sealing layer wraps these bytes; its envelope version covers this
 * format too, so there is no version byte of its own (2 bytes a message saved).
 */
export function encodeEnvelope(
  type: MessageType,
  body: Uint8Array,
  piggyback?: Uint8Array,
  compression: Compression = fflateCompression,
): Uint8Array {
  let payload = body;
  let flags = 0;
  const compressible = type === MessageType.Delta || type === MessageType.Digest;
  if (compressible && body.length >= MIN_COMPRESSIBLE && body.length <= MAX_INFLATED_BYTES) {
    const deflated = compression.deflate(body);
    if (deflated.length + varintSize(body.length) < body.length) {
      payload = new ByteWriter(deflated.length + 4).writeVarint(body.length).writeRaw(deflated).finish();
      flags = COMPRESSED;
    }
  }
  const extra = piggyback === undefined || piggyback.length === 0 ? 0 : piggyback.length;
  if (extra > 0) flags |= PIGGYBACK;
  const writer = new ByteWriter(1 + (extra > 0 ? varintSize(extra) + extra : 0) + payload.length);
  writer.writeU8(type | flags);
  if (piggyback !== undefined && extra > 0) writer.writeBytes(piggyback);
  return writer.writeRaw(payload).finish();
}

const KNOWN_TYPES = new Set<number>(Object.values(MessageType));

/**
 * Reads an envelope from authenticated bytes; unknown types are refused, and a compressed body
 * must inflate to exactly its stated length, at most {@link MAX_INFLATED_BYTES}.
 */
export function decodeEnvelope(
  bytes: Uint8Array,
  compression: Compression = fflateCompression,
): DecodeResult<Envelope> {
  return readAll(bytes, (reader) => {
    const tagged = reader.readU8();
    const type = tagged & ~(COMPRESSED | PIGGYBACK);
    if (!KNOWN_TYPES.has(type)) reader.fail(`unknown message type ${type}`);
    const piggyback = (tagged & PIGGYBACK) === 0 ? EMPTY : reader.readBytes(reader.remaining);
    if ((tagged & COMPRESSED) === 0) {
      return { type: type as MessageType, piggyback, body: reader.readRaw(reader.remaining) };
    }
    const length = reader.readBoundedVarint(MAX_INFLATED_BYTES);
    const body = compression.inflate(reader.readRaw(reader.remaining), length);
    if (body === undefined) return reader.fail('compressed body does not match its length');
    return { type: type as MessageType, piggyback, body };
  });
}

const EMPTY = new Uint8Array(0);
