/**
 * Where a key sits in a writer set's tree (ADR 0058): 48 bits from two MurmurHash3 (x86, 32-bit)
 * hashes of the key's UTF-8, seeds 0 and 1: the first's 32 bits, then the high 16 of the
 * second. The place only spreads keys over the tree; nothing trusts it. Every tree node's hash
 * covers its items' keys, so a peer cannot move an item, and a writer who picks keys that share
 * a place only deepens its own tree (to 12 nibbles, past which a leaf holds any number). A
 * cryptographic hash here was a third of a write's cost.
 */
export function placeOf(key: string): number {
  // Encoded into one reused buffer: a new array per key was a tenth of a catch-up's time.
  if (keyBytes.length < key.length * 3) keyBytes = new Uint8Array(key.length * 3);
  const length = encoder.encodeInto(key, keyBytes).written;
  const high = murmur3(keyBytes, length, 0);
  const low = murmur3(keyBytes, length, 1);
  return high * 0x10000 + (low >>> 16);
}

const encoder = new TextEncoder();
let keyBytes = new Uint8Array(256);

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3_x86_32 of `bytes[0, length)` with `seed`, as an unsigned 32-bit number. */
function murmur3(bytes: Uint8Array, length: number, seed: number): number {
  let hash = seed;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    const block =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    hash ^= mixBlock(block);
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
  }
  // The last one to three bytes, little-endian, mixed as one short block.
  const rest = length & 3;
  if (rest > 0) {
    let tail = 0;
    for (let i = rest - 1; i >= 0; i--) tail = (tail << 8) | (bytes[whole + i] as number);
    hash ^= mixBlock(tail);
  }
  hash ^= length;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function mixBlock(block: number): number {
  let k = Math.imul(block, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}
