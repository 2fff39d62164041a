import type { Timestamp } from '../clock/timestamp.js';
import type { NodeId } from '../ids/node-id.js';
import type { Sha256 } from '../ports/sha256.js';
import { ByteWriter } from '../wire/byte-writer.js';

/** Separates what a map set proof signs from anything else a node's key signs. */
const DOMAIN = new TextEncoder().encode('shoal map set v1');
/** Separates a value's digest from any other SHA-256 Shoal computes. */
const VALUE_DOMAIN = new TextEncoder().encode('shoal map value v1');

/** Bytes of a write's value digest in a writer's set. */
export const VALUE_DIGEST_BYTES = 16;

const VALUE_MARK = 1;
const TOMBSTONE_MARK = 0;

/**
 * The digest a writer's set holds for one write (ADR 0058): the first 16 bytes of SHA-256 of a
 * fixed label, a mark (value or tombstone) and the value's encoded bytes `source[start, end)`
 * (none for a tombstone, `source` undefined). Computed from the bytes as they travel and are
 * stored, so every replica gets the same digest without encoding the value again.
 */
export function valueDigest(sha256: Sha256, source: Uint8Array | undefined, start = 0, end = 0): Uint8Array {
  digestInput.clear();
  digestInput.writeRaw(VALUE_DOMAIN).writeU8(source === undefined ? TOMBSTONE_MARK : VALUE_MARK);
  if (source !== undefined) digestInput.writeRange(source, start, end);
  const hash = sha256(digestInput.written());
  if (slabAt === SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabAt = 0;
  }
  const digest = slab.subarray(slabAt, slabAt + VALUE_DIGEST_BYTES);
  digest.set(hash.subarray(0, VALUE_DIGEST_BYTES));
  slabAt += VALUE_DIGEST_BYTES;
  return digest;
}

/**
 * Digests are views into shared slabs: a set holds one per key, and an array of its own each
 * (a buffer and its bookkeeping, about 220 bytes) made the collector the largest cost of a
 * map write; a view is about half that. A slab lives while any digest in it does, so it is
 * small: at worst 4 KB held for one digest still in use.
 */
const SLAB_BYTES = 4096;
let slab = new Uint8Array(SLAB_BYTES);
let slabAt = 0;

/** Reused by every digest: the hash copies nothing out of it. */
const digestInput = new ByteWriter(256);

/**
 * The bytes a writer signs to vouch for its whole set of one map (ADR 0058): a fixed label, the
 * map and writer names (length-prefixed), the set's version (the writer's newest write in it)
 * and its root. One signature vouches for every item, and so for what is absent: an answer
 * that leaves out an item of the range it covers hashes to another root. The channel is not
 * bound, as for streams (ADR 0054): a snapshot imports under another channel name.
 */
export function mapSetMessage(map: string, writer: NodeId, version: Timestamp, root: Uint8Array): Uint8Array {
  const bytes = new ByteWriter(DOMAIN.length + 2 * 70 + 12 + root.length);
  bytes.writeRaw(DOMAIN).writeString(map).writeString(writer);
  bytes
    .writeU32(Math.floor(version.wall / 2 ** 32))
    .writeU32(version.wall >>> 0)
    .writeU32(version.counter);
  return bytes.writeRaw(root).finish();
}
