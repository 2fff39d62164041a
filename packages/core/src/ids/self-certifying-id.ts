import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { NodeId } from './node-id.js';

const DOMAIN = new TextEncoder().encode('shoal node id v1');
/**
 * The last two bytes of every self-certifying id, so a receiver can tell one apart before it
 * checks it: at the end, not the start, so that ids shortened for display (`9d5abce4…`) stay
 * distinct. A random id of 32 hex characters ends this way once in 65,536.
 */
const MARKER = '5d1d';
const PATTERN = /^[0-9a-f]{28}5d1d$/;

/**
 * The self-certifying node id of `publicKey` (an Ed25519 identity key, ADR 0055): the first
 * 14 bytes of SHA-256 over a domain tag and the key, then the marker, in lowercase hex (32
 * characters, 16 bytes on the wire like any generated id). Finding another key for a given id
 * takes about 2^112 hashes, so such an id names its key: whoever shows a signature under a key
 * that derives the id is that node, whether or not the verifier ever met it.
 */
export function selfCertifyingId(publicKey: Uint8Array): NodeId {
  const input = new Uint8Array(DOMAIN.length + publicKey.length);
  input.set(DOMAIN);
  input.set(publicKey, DOMAIN.length);
  return `${bytesToHex(sha256(input).subarray(0, 14))}${MARKER}` as NodeId;
}

/** Whether `id` has the form of a self-certifying id (it names a key; see {@link keyFitsId}). */
export function isSelfCertifyingId(id: string): boolean {
  return id.length === 32 && PATTERN.test(id);
}

/**
 * Whether `publicKey` may speak for `id`: for a self-certifying id only the key it derives
 * from; for any other id (one a user chose, or a random one from before ADR 0055) any key,
 * which then is bound on first use.
 */
export function keyFitsId(id: string, publicKey: Uint8Array): boolean {
  return !isSelfCertifyingId(id) || selfCertifyingId(publicKey) === id;
}
