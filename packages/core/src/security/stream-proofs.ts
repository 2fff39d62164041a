import type { NodeId } from '../ids/node-id.js';
import { ByteWriter } from '../wire/byte-writer.js';

/** Separates what a stream proof signs from anything else a node's key signs. */
const DOMAIN = new TextEncoder().encode('shoal stream proof v1');

/**
 * The bytes an author signs to vouch for its entries 1..`seq` of one stream (ADR 0054): a fixed
 * label, the stream and author names (length-prefixed, so no two encode alike), the seq and the
 * chain hash of those entries. Binding the chain means a proof covers exactly one history;
 * binding the stream and author, that it cannot vouch for another's. The channel is not bound:
 * a channel's snapshot imports under another name with its proofs intact (ADR 0054 weighs it).
 */
export function streamProofMessage(
  stream: string,
  author: NodeId,
  seq: number,
  chain: Uint8Array,
): Uint8Array {
  const writer = new ByteWriter(DOMAIN.length + 2 * 70 + 8 + chain.length);
  writer.writeRaw(DOMAIN).writeString(stream).writeString(author);
  writer.writeU32(Math.floor(seq / 0x1_0000_0000)).writeU32(seq >>> 0);
  return writer.writeRaw(chain).finish();
}
