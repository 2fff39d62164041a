import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../storage/bytes.js';
import type { NetworkSecret } from './network-secret.js';

/**
 * Public 32-bit name of a sealing key, carried in every sealed header so the receiver picks
 * the key directly instead of trying each one. Reveals nothing about the key.
 */
export type KeyId = number;

/** A sealing key derived from one {@link NetworkSecret} for one network. */
export interface NetworkKey {
  readonly keyId: KeyId;
  /** 32-byte XChaCha20-Poly1305 key. */
  readonly key: Uint8Array;
}

/** Length of the network tag in every envelope header, in bytes. */
export const NETWORK_TAG_BYTES = 8;

const utf8 = new TextEncoder();
// HKDF salt (RFC 5869 §3.1): a fixed, public, application-specific value.
const HKDF_SALT = utf8.encode('shoal/hkdf/v1');
// HKDF info labels; neither is a prefix of the other, so label ‖ networkId never collides.
const SEALING_KEY_INFO = utf8.encode('shoal/sealing-key:');
const KEY_ID_INFO = utf8.encode('shoal/key-id:');
const NETWORK_TAG_LABEL = utf8.encode('shoal/network-tag/v1:');

/**
 * Derives the sealing key and key id of `secret` for `networkId` with HKDF-SHA256 (RFC 5869).
 * Deterministic; the network id is bound into the derivation, so one secret reused for two
 * networks gives two unrelated keys. The key id is a separate HKDF output, so publishing it
 * says nothing about the key.
 */
export function deriveNetworkKey(networkId: string, secret: NetworkSecret): NetworkKey {
  const id = utf8.encode(networkId);
  const key = hkdf(sha256, secret, HKDF_SALT, concatBytes(SEALING_KEY_INFO, id), 32);
  const idBytes = hkdf(sha256, secret, HKDF_SALT, concatBytes(KEY_ID_INFO, id), 4);
  const keyId = new DataView(idBytes.buffer, idBytes.byteOffset, 4).getUint32(0);
  return { keyId, key };
}

/**
 * The 8-byte tag of a network: the first bytes of SHA-256(label ‖ networkId). It depends on the
 * network id only, not on the secret, so it stays the same through key rotation and also marks
 * open-mode traffic; a receiver compares it before any crypto and drops the traffic of other
 * networks sharing the same multicast group at the cost of one comparison. It is not secret:
 * an observer who guesses a network's name can confirm the guess.
 */
export function networkTag(networkId: string): Uint8Array {
  return sha256(concatBytes(NETWORK_TAG_LABEL, utf8.encode(networkId))).slice(0, NETWORK_TAG_BYTES);
}
