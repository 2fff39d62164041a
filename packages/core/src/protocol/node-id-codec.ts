import { isNodeId, MAX_NODE_ID_LENGTH, type NodeId } from '../ids/node-id.js';
import { asciiString } from '../wire/ascii-string.js';
import type { ByteReader } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';

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
  return readNodeIdAfter(reader, reader.readBoundedVarint(MAX_NODE_ID_LENGTH));
}

/** The two nodes a sync message travels between, which its ids may name in one byte. */
export interface MessagePeers {
  readonly sender: NodeId;
  readonly receiver: NodeId;
}

// Above any id length, so they cannot be mistaken for the start of a written id.
const SENDER_MARK = 0x7f;
const RECEIVER_MARK = 0x7e;

/**
 * Writes `id` as {@link writeNodeId} does, except that the message's own sender or receiver
 * takes one byte: most ids in a sync message are one of the two (a node's own writes, the
 * clock it reports for the peer), and every transport already says who they are. Without
 * `peers` every id is written in full.
 */
export function writePeerNodeId(writer: ByteWriter, id: NodeId, peers: MessagePeers | undefined): void {
  if (id === peers?.sender) writer.writeU8(SENDER_MARK);
  else if (id === peers?.receiver) writer.writeU8(RECEIVER_MARK);
  else writeNodeId(writer, id);
}

/** Reads an id written by {@link writePeerNodeId} for the same `peers` (without: full ids only). */
export function readPeerNodeId(reader: ByteReader, peers: MessagePeers | undefined): NodeId {
  const length = reader.readBoundedVarint(SENDER_MARK);
  if (length === SENDER_MARK && peers !== undefined) return peers.sender;
  if (length === RECEIVER_MARK && peers !== undefined) return peers.receiver;
  if (length > MAX_NODE_ID_LENGTH) reader.fail('malformed NodeId');
  return readNodeIdAfter(reader, length);
}

function readNodeIdAfter(reader: ByteReader, length: number): NodeId {
  if (length === 0) {
    const raw = reader.source;
    const start = reader.skip(16);
    for (let i = 0; i < 16; i++) {
      const byte = raw[start + i] as number;
      hexCodes[2 * i] = HEX_CODES[byte >> 4] as number;
      hexCodes[2 * i + 1] = HEX_CODES[byte & 15] as number;
    }
    return interned(String.fromCharCode.apply(null, hexCodes) as NodeId);
  }
  const start = reader.skip(length);
  const id = asciiString(reader.source, start, start + length);
  if (id === undefined || !isNodeId(id)) reader.fail('malformed NodeId');
  return interned(id);
}

const HEX_CODES = Array.from(HEX, (char) => char.charCodeAt(0));
/** The char codes of a generated id being read: reused, so reading allocates only the id. */
const hexCodes: number[] = new Array(32).fill(0);

/** Ids read lately, each held once: every entry a writer made names it, loaded or received. */
const recentIds = new Map<NodeId, NodeId>();
/** Bound on {@link recentIds}: far above the writers of any channel, small next to its entries. */
const MAX_RECENT_IDS = 4096;

/**
 * The copy of `id` already held, if any: a million entries of one writer then share one
 * string instead of holding a million equal ones.
 */
function interned(id: NodeId): NodeId {
  const known = recentIds.get(id);
  if (known !== undefined) return known;
  if (recentIds.size >= MAX_RECENT_IDS) recentIds.clear();
  recentIds.set(id, id);
  return id;
}

/** Bytes {@link writeNodeId} writes for `id`. */
export function nodeIdSize(id: NodeId): number {
  return GENERATED_ID.test(id) ? 17 : 1 + id.length;
}

/** `id` as {@link writeNodeId} writes it, alone: what binds a sender into sealed associated data. */
export function nodeIdBytes(id: NodeId): Uint8Array {
  const writer = new ByteWriter(nodeIdSize(id));
  writeNodeId(writer, id);
  return writer.finish();
}
