import { isNodeId, MAX_NODE_ID_LENGTH, type NodeId } from '../ids/node-id.js';
import type { ByteReader } from '../wire/byte-reader.js';
import type { ByteWriter } from '../wire/byte-writer.js';

/** Version byte leading every membership body and piggyback. Bumped only for incompatible changes. */
export const MEMBERSHIP_WIRE_VERSION = 1;

/** Longest transport address carried in gossip, in bytes (an IPv6 socket address is 18). */
export const MAX_ADDRESS_BYTES = 256;

/** Reads a length-prefixed NodeId and fails unless it is well formed. */
export function readNodeId(reader: ByteReader): NodeId {
  const id = reader.readString(MAX_NODE_ID_LENGTH);
  if (!isNodeId(id)) reader.fail('malformed NodeId');
  return id;
}

/** Writes an optional address as length-prefixed bytes; absent is written as zero length. */
export function writeAddress(writer: ByteWriter, address: Uint8Array | undefined): void {
  writer.writeBytes(address ?? new Uint8Array(0));
}

/** Reads an address written by {@link writeAddress}: a copy, or undefined for zero length. */
export function readAddress(reader: ByteReader): Uint8Array | undefined {
  const bytes = reader.readBytes(MAX_ADDRESS_BYTES);
  return bytes.length === 0 ? undefined : bytes.slice();
}

/** Reads the version byte and fails on any version this code does not speak. */
export function readVersion(reader: ByteReader): void {
  if (reader.readU8() !== MEMBERSHIP_WIRE_VERSION) reader.fail('unsupported membership wire version');
}
