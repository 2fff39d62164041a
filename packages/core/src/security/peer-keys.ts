import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { NodeId } from '../ids/node-id.js';
import { keyFitsId } from '../ids/self-certifying-id.js';
import { SIGNING_PUBLIC_KEY_BYTES } from '../ports/signer.js';
import { bytesEqual, compareBytes, toHex } from '../storage/bytes.js';
import type { NetworkKey } from './network-key.js';

/**
 * How long, in ms, a peer's confirmed key must have been silent before another key may take its
 * id: longer than membership takes to declare a node dead, so a live node's id is never taken,
 * and a node that lost its data directory is reachable again under its old id soon after.
 */
export const PEER_KEY_REBIND_AFTER_MS = 30_000;

/** Most peers whose keys are remembered; the least recently heard are forgotten first. */
const MAX_PEERS = 4096;
/** Most not-yet-confirmed keys kept per id (a hostile holder of the secret may offer many). */
const MAX_CANDIDATES = 4;
const PAIR_INFO = new TextEncoder().encode('shoal pair key v1');

/** What happened to an offered key ({@link PeerKeys.offer}). */
export type KeyOffer = 'known' | 'candidate' | 'refused' | 'invalid';

interface PeerRecord {
  /** The key a pair-sealed message from this id last opened under. */
  confirmed: Uint8Array | undefined;
  confirmedHeardAt: number;
  /** Keys offered in hellos and not yet proven, newest last. */
  candidates: Uint8Array[];
}

/**
 * This node's Ed25519 identity and what it knows of its peers' public keys: the basis of pair
 * sealing, which authenticates every message as coming from the node that holds the sender's
 * key, not merely from some holder of the network secret.
 *
 * Each pair of nodes shares a key nobody else can derive: HKDF-SHA-256 over the X25519 agreement
 * of their identity keys (converted from Ed25519, as libsodium does), salted with the network
 * key and bound to both public keys. Holding the network secret is still required (a node
 * removed by rotating the secret cannot derive pair keys under the new one), and no longer
 * sufficient.
 *
 * Keys are learned from hellos, which any holder of the secret can send in any id's name, so an
 * offered key is only a candidate until a pair-sealed message opens under it (proof that the
 * sender holds its secret half); from then on the id is bound to it. A different key for a bound
 * id is refused while the bound key has been heard from within {@link PEER_KEY_REBIND_AFTER_MS}:
 * an impostor cannot take a live node's id, and a node whose data directory was lost comes
 * back under its old id after a short silence. Bounded: {@link MAX_PEERS} ids, a few candidates
 * each; derived pair keys are cached per (key, network key). Never throws on peer input.
 */
export class PeerKeys {
  /** This node's public key. */
  readonly publicKey: Uint8Array;
  readonly #montgomerySecret: Uint8Array;
  readonly #now: () => number;
  readonly #peers = new Map<NodeId, PeerRecord>();
  /** Ids in {@link #peers} with no proven key, oldest first: the first to forget. */
  readonly #unproven = new Set<NodeId>();
  /** Derived pair keys by `keyId:hex(public key)`; bounded like the peers. */
  readonly #pairKeys = new Map<string, Uint8Array>();
  #version = 0;

  /**
   * @param secretKey this node's 32-byte Ed25519 secret key (seed).
   * @param now monotonic time in ms, for the rebind rule.
   */
  constructor(secretKey: Uint8Array, now: () => number) {
    this.publicKey = ed25519.getPublicKey(secretKey);
    this.#montgomerySecret = ed25519.utils.toMontgomerySecret(secretKey);
    this.#now = now;
  }

  /**
   * Takes `publicKey`, offered by a hello claiming to come from `peer`. `'known'`: already the
   * bound key or a candidate; `'candidate'`: kept until proven; `'refused'`: the id is bound to
   * another key heard recently; `'invalid'`: not a usable key, or not the one `peer` names if
   * its id is self-certifying (never kept).
   */
  offer(peer: NodeId, publicKey: Uint8Array): KeyOffer {
    if (!isUsableKey(publicKey) || bytesEqual(publicKey, this.publicKey)) return 'invalid';
    // A self-certifying id names its key: no other key is ever bound to it (ADR 0055).
    if (!keyFitsId(peer, publicKey)) return 'invalid';
    const record = this.#touch(peer);
    if (record.confirmed !== undefined && bytesEqual(record.confirmed, publicKey)) return 'known';
    if (record.candidates.some((key) => bytesEqual(key, publicKey))) return 'known';
    if (record.confirmed !== undefined && !this.#rebindable(record)) return 'refused';
    record.candidates.push(publicKey.slice());
    if (record.candidates.length > MAX_CANDIDATES) record.candidates.shift();
    return 'candidate';
  }

  /** The pair key to seal messages to `peer` under network key `network`, if its key is known. */
  sealingKey(peer: NodeId, network: NetworkKey): Uint8Array | undefined {
    const key = this.sealingPublicKey(peer);
    return key === undefined ? undefined : this.#pairKey(key, network);
  }

  /**
   * The public key messages to `peer` are sealed for: its bound key, else the newest candidate.
   * Only the holder of its secret half can open them, so it is the key to check before sending
   * something only some keys may read; a message that arrived from `peer` has just bound the
   * key it opened under.
   */
  sealingPublicKey(peer: NodeId): Uint8Array | undefined {
    const record = this.#peers.get(peer);
    return record?.confirmed ?? record?.candidates.at(-1);
  }

  /**
   * The public keys a pair-sealed message from `peer` may have been sealed with, to try in
   * order: the bound key, then candidates (only while the bound key may be replaced).
   */
  openingKeys(peer: NodeId): Uint8Array[] {
    const record = this.#peers.get(peer);
    if (record === undefined) return [];
    if (record.confirmed === undefined) return [...record.candidates].reverse();
    if (!this.#rebindable(record)) return [record.confirmed];
    return [record.confirmed, ...[...record.candidates].reverse()];
  }

  /** The pair key for `publicKey` under `network` (see {@link openingKeys}). */
  pairKey(publicKey: Uint8Array, network: NetworkKey): Uint8Array | undefined {
    return this.#pairKey(publicKey, network);
  }

  /**
   * Records that a pair-sealed message from `peer` opened under `publicKey`: the id is bound to
   * it (replacing a silent older key), and the key counts as heard now. Returns the key it
   * replaced, if any.
   */
  confirm(peer: NodeId, publicKey: Uint8Array): Uint8Array | undefined {
    const record = this.#touch(peer);
    const replaced =
      record.confirmed !== undefined && !bytesEqual(record.confirmed, publicKey)
        ? record.confirmed
        : undefined;
    if (record.confirmed === undefined || replaced !== undefined) {
      this.#unproven.delete(peer);
      record.confirmed = publicKey;
      record.candidates = record.candidates.filter((key) => !bytesEqual(key, publicKey));
      this.#version++;
    }
    record.confirmedHeardAt = this.#now();
    return replaced;
  }

  /** Changes whenever an id is bound to a key (what {@link PeerKeys.bindings} returns changes). */
  get version(): number {
    return this.#version;
  }

  /** Every id bound to a proven key, least recently heard first: what a restart should keep. */
  bindings(): Array<[NodeId, Uint8Array]> {
    const bound: Array<[NodeId, Uint8Array]> = [];
    for (const [peer, record] of this.#peers)
      if (record.confirmed !== undefined) bound.push([peer, record.confirmed]);
    return bound;
  }

  /**
   * Restores bindings saved before a restart (before any traffic): each id is bound to its key
   * as if just heard, so for {@link PEER_KEY_REBIND_AFTER_MS} after a restart nobody can take a
   * known peer's id with another key, and the peer's first pair-sealed message opens without a
   * hello round trip. Unusable keys are skipped; later bindings win.
   */
  restoreBindings(bindings: Iterable<readonly [NodeId, Uint8Array]>): void {
    for (const [peer, publicKey] of bindings) {
      if (!isUsableKey(publicKey) || bytesEqual(publicKey, this.publicKey)) continue;
      this.confirm(peer, publicKey.slice());
    }
  }

  /** `peer`'s public key: the bound one, proven by a message that opened under it. */
  publicKeyOf(peer: NodeId): Uint8Array | undefined {
    return this.#peers.get(peer)?.confirmed;
  }

  /** Whether a message to `peer` can be pair-sealed now. */
  knows(peer: NodeId): boolean {
    const record = this.#peers.get(peer);
    return record !== undefined && (record.confirmed !== undefined || record.candidates.length > 0);
  }

  #rebindable(record: PeerRecord): boolean {
    return this.#now() - record.confirmedHeardAt >= PEER_KEY_REBIND_AFTER_MS;
  }

  #touch(peer: NodeId): PeerRecord {
    let record = this.#peers.get(peer);
    if (record === undefined) {
      record = { confirmed: undefined, confirmedHeardAt: Number.NEGATIVE_INFINITY, candidates: [] };
      if (this.#peers.size >= MAX_PEERS) this.#peers.delete(this.#evictable());
      this.#unproven.add(peer);
    } else {
      this.#peers.delete(peer);
    }
    this.#peers.set(peer, record);
    return record;
  }

  /**
   * The record to forget when full: the oldest id no key was proven for (hellos in invented ids
   * cannot push out the peers we talk to), else the least recently touched.
   */
  #evictable(): NodeId {
    const unproven = this.#unproven.values().next();
    if (!unproven.done) {
      this.#unproven.delete(unproven.value);
      return unproven.value;
    }
    return this.#peers.keys().next().value as NodeId;
  }

  #pairKey(publicKey: Uint8Array, network: NetworkKey): Uint8Array | undefined {
    const cacheKey = `${network.keyId}:${toHex(publicKey)}`;
    const cached = this.#pairKeys.get(cacheKey);
    if (cached !== undefined) return cached;
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(this.#montgomerySecret, ed25519.utils.toMontgomery(publicKey));
    } catch {
      // A low-order or malformed key agrees on nothing usable; noble refuses it.
      return undefined;
    }
    const [low, high] =
      compareBytes(this.publicKey, publicKey) < 0 ? [this.publicKey, publicKey] : [publicKey, this.publicKey];
    const info = new Uint8Array(PAIR_INFO.length + 2 * SIGNING_PUBLIC_KEY_BYTES);
    info.set(PAIR_INFO);
    info.set(low, PAIR_INFO.length);
    info.set(high, PAIR_INFO.length + SIGNING_PUBLIC_KEY_BYTES);
    const key = hkdf(sha256, shared, network.key, info, 32);
    if (this.#pairKeys.size >= MAX_PEERS) this.#pairKeys.delete(this.#pairKeys.keys().next().value as string);
    this.#pairKeys.set(cacheKey, key);
    return key;
  }
}

/**
 * Whether `publicKey` is a usable identity key: 32 bytes, an Ed25519 point that converts to an
 * X25519 key (so pair keys can be derived with it).
 */
export function isUsableKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== SIGNING_PUBLIC_KEY_BYTES) return false;
  try {
    ed25519.utils.toMontgomery(publicKey);
    return true;
  } catch {
    return false;
  }
}
