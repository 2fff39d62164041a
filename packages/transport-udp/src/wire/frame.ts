import { isNodeId, MAX_NODE_ID_LENGTH, type NodeId } from '@shoal/core';
import { type DecodeResult, decoded, rejected } from '../decode-result.js';

/**
 * First two bytes of every Shoal UDP datagram ("SH"). They let a receiver drop stray traffic
 * on the discovery port cheaply. Part of the wire protocol: never change.
 */
export const FRAME_MAGIC = [0x53, 0x48] as const;
/** Frame format version. A receiver drops versions it does not know. Only ever increases. */
export const FRAME_VERSION = 1;
/** Bytes before the sender id: magic (2), version (1), id length (1). */
export const FRAME_HEADER_BYTES = 4;

/** A decoded datagram: the sender it claims (unauthenticated) and the payload. */
export interface Frame {
  readonly from: NodeId;
  readonly payload: Uint8Array;
}

const GENERATED_ID = /^[0-9a-f]{32}$/;
const RAW_ID_BYTES = 16;
const HEX = '0123456789abcdef';

/** Framing overhead in bytes for a datagram sent by `from`. */
export function frameOverhead(from: NodeId): number {
  return FRAME_HEADER_BYTES + (GENERATED_ID.test(from) ? RAW_ID_BYTES : from.length);
}

/**
 * Frames `payload` as `["S" "H"][version][id length: u8][id][payload]`. A generated id (32
 * lower-case hex chars) travels as 16 raw bytes behind an id length of 0; any other id as its
 * ASCII. Copies the payload, so the caller may reuse its buffer as soon as this returns.
 */
export function encodeFrame(from: NodeId, payload: Uint8Array): Uint8Array {
  const header = frameOverhead(from);
  const bytes = new Uint8Array(header + payload.length);
  bytes[0] = FRAME_MAGIC[0];
  bytes[1] = FRAME_MAGIC[1];
  bytes[2] = FRAME_VERSION;
  if (GENERATED_ID.test(from)) {
    bytes[3] = 0;
    for (let i = 0; i < RAW_ID_BYTES; i++) {
      bytes[FRAME_HEADER_BYTES + i] = Number.parseInt(from.slice(2 * i, 2 * i + 2), 16);
    }
  } else {
    bytes[3] = from.length;
    // NodeIds are ASCII by construction (isNodeId), so one char is one byte.
    for (let i = 0; i < from.length; i++) bytes[FRAME_HEADER_BYTES + i] = from.charCodeAt(i);
  }
  bytes.set(payload, header);
  return bytes;
}

/**
 * Decodes a datagram. Total and bounded: reads at most {@link MAX_NODE_ID_LENGTH} id bytes,
 * never throws, and returns the payload as a view into `bytes` (no copy). Rejects a wrong
 * magic or version, an id length above the limit, a truncated id, and an id that is not a
 * well-formed NodeId. An empty payload is valid.
 */
export function decodeFrame(bytes: Uint8Array): DecodeResult<Frame> {
  if (bytes.length < FRAME_HEADER_BYTES) return rejected('truncated header');
  if (bytes[0] !== FRAME_MAGIC[0] || bytes[1] !== FRAME_MAGIC[1]) return rejected('bad magic');
  if (bytes[2] !== FRAME_VERSION) return rejected('unknown version');
  const idLength = bytes[3] ?? 0;
  if (idLength > MAX_NODE_ID_LENGTH) return rejected('bad id length');
  const idBytes = idLength === 0 ? RAW_ID_BYTES : idLength;
  const payloadStart = FRAME_HEADER_BYTES + idBytes;
  if (bytes.length < payloadStart) return rejected('truncated id');
  const raw = bytes.subarray(FRAME_HEADER_BYTES, payloadStart);
  let from = '';
  if (idLength === 0) for (const byte of raw) from += (HEX[byte >> 4] as string) + (HEX[byte & 15] as string);
  else from = String.fromCharCode(...raw);
  if (!isNodeId(from)) return rejected('malformed id');
  const payload = new Uint8Array(bytes.buffer, bytes.byteOffset + payloadStart, bytes.length - payloadStart);
  return decoded({ from, payload });
}
