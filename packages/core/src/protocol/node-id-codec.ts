import { isNodeId, MAX_NODE_ID_LENGTH, type NodeId } from '../ids/node-id.js';
import type { ByteReader } from '../wire/byte-reader.js';
import type { ByteWriter } from '../wire/byte-writer.js';

const GENERATED_ID = /^[0-9a-f]{32}$/;
const HEX = '0123456789abcdef';

/**
 * Writes a NodeId. A generated id (32 lower-case hex chars) takes 17 bytes (a 0 marker and
 * its 16 raw bytes); any other id takes a length byte and its ASCII.
 */
export function writeNodeId(writer: ByteWriter, id: NodeId): void {
  if (GENERATED_ID.test(id)) {
    writer.writeU8(0);
    for (let i = 0; i < 32; i += 2) writer.writeU8(Number.parseInt(id.slice(i, i + 2), 16));
    return;
  }
  writer.writeString(id);
}

/** Reads a NodeId written by {@link writeNodeId}; fails on anything that is not a valid id. */
export function readNodeId(reader: ByteReader): NodeId {
  const length = reader.readBoundedVarint(MAX_NODE_ID_LENGTH);
  if (length === 0) {
    const raw = reader.readRaw(16);
    let hex = '';
    for (const byte of raw) hex += (HEX[byte >> 4] as string) + (HEX[byte & 15] as string);
    return hex as NodeId;
  }
  let id = '';
  for (const byte of reader.readRaw(length)) id += String.fromCharCode(byte);
  if (!isNodeId(id)) reader.fail('malformed NodeId');
  return id;
}

/** Bytes {@link writeNodeId} writes for `id`. */
export function nodeIdSize(id: NodeId): number {
  return GENERATED_ID.test(id) ? 17 : 1 + id.length;
}
