/**
 * How the store lays out one LMDB database. Every key starts with a one-byte tag, so the
 * store's own metadata can never collide with user keys, an empty user key becomes a valid
 * LMDB key (LMDB refuses zero-length keys), and, because all user keys share the same first
 * byte, LMDB's memcmp order on stored keys is exactly the unsigned-byte order on user keys.
 */

/** Tag of the store's metadata keys (format marker, store id, generation). */
export const META_TAG = 0x00;
/** Tag of every user key. */
export const DATA_TAG = 0x01;

/** LMDB's default maximum key size in lmdb-js (511 in stock LMDB; lmdb-js compiles 1978). */
const ENGINE_MAX_KEY_BYTES = 1978;

/** The longest user key the store accepts: the engine's limit minus the tag byte. */
export const MAX_KEY_BYTES = ENGINE_MAX_KEY_BYTES - 1;

const metaKey = (name: string) => Uint8Array.of(META_TAG, ...new TextEncoder().encode(name));
/** The stored key of the format marker. */
export const FORMAT_KEY = metaKey('format');
/** The stored key of the store's random id, also kept in the manifest beside the data file. */
export const STORE_ID_KEY = metaKey('store-id');
/** The stored key of the open counter, also kept in the manifest (detects an older copy). */
export const GENERATION_KEY = metaKey('generation');
/** A key never written: `close` deletes it to commit an empty transaction (see LmdbStore). */
export const CLOSE_KEY = metaKey('close');

/** The stored form of user key `key` (always a fresh buffer: LMDB may read it after we return). */
export function dataKey(key: Uint8Array): Uint8Array {
  const stored = new Uint8Array(key.length + 1);
  stored[0] = DATA_TAG;
  stored.set(key, 1);
  return stored;
}

/** The user key inside stored key `stored` (a copy the caller owns). */
export function userKey(stored: Uint8Array): Uint8Array {
  // Copied by hand: `subarray` of the Buffer lmdb-js hands out builds a Buffer through its
  // species constructor, which cost more than the copy (a sixth of reopening a large channel).
  const key = new Uint8Array(stored.length - 1);
  for (let i = 0; i < key.length; i++) key[i] = stored[i + 1] as number;
  return key;
}

/**
 * The stored-key range `[start, end)` holding exactly the user keys that start with `prefix`.
 * `end` is the least key greater than every extension of `start`: drop trailing 0xff bytes,
 * then add one to the last byte. It always exists because `start` begins with the data tag.
 */
export function prefixRange(prefix: Uint8Array): { start: Uint8Array; end: Uint8Array } {
  const start = dataKey(prefix);
  let last = start.length - 1;
  while (start[last] === 0xff) last--;
  const end = start.slice(0, last + 1);
  end[last] = (end[last] ?? 0) + 1;
  return { start, end };
}
