/**
 * How user keys are stored. Every stored key is the user key behind a one-byte tag: an empty
 * user key becomes a non-empty binary key (engines that cannot tell an empty buffer from a
 * detached one, such as fake-indexeddb on Node 20, refuse empty keys), and since every stored
 * key shares the tag, IndexedDB's binary key order (unsigned bytes, a key before its
 * extensions) on stored keys is exactly the port's order on user keys.
 */
const DATA_TAG = 0x01;

/** The stored form of user key `key`: a fresh buffer. */
export function storedKey(key: Uint8Array): Uint8Array<ArrayBuffer> {
  const stored = new Uint8Array(key.length + 1);
  stored[0] = DATA_TAG;
  stored.set(key, 1);
  return stored;
}

/** The user key inside a stored key as IndexedDB returns it (an ArrayBuffer): a copy. */
export function userKey(stored: ArrayBuffer): Uint8Array {
  return new Uint8Array(stored.slice(1));
}

/**
 * The key range holding every stored key whose user key starts with `prefix`, beginning after
 * stored key `after` when given (to resume a scan), else at the prefix itself. It ends just below
 * the prefix's byte successor: trailing 0xff bytes dropped, last byte incremented, which
 * always exists because the stored prefix begins with the tag.
 */
export function prefixRange(prefix: Uint8Array, after?: ArrayBuffer): IDBKeyRange {
  const start = storedKey(prefix);
  let end = start.length;
  while (start[end - 1] === 0xff) end--;
  const upper = start.slice(0, end);
  upper[end - 1] = (upper[end - 1] as number) + 1;
  return IDBKeyRange.bound(after ?? start, upper, after !== undefined, true);
}
