import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { bytesEqual } from '../storage/bytes.js';
import { deriveNetworkKey, type KeyId, type NetworkKey } from './network-key.js';
import { assertNetworkId, type NetworkSecret, SECRET_BYTES, secretFromBytes } from './network-secret.js';

/** One step of a key rotation, as {@link Keyring.onChange} reports it (ids only, never keys). */
export interface KeyringChange {
  readonly change: 'added' | 'primary' | 'removed';
  readonly keyId: KeyId;
}

/** Names a key in a {@link Keyring}: its secret, or its {@link KeyId}. */
export type KeyRef = NetworkSecret | Uint8Array | KeyId;

/**
 * The keys of one network: one primary key seals, every key held opens. This is what lets a
 * network rotate its secret with no downtime (the procedure memberlist uses for its keyring):
 * 1. `add(new)` on every node: everyone can now open messages sealed with either key;
 * 2. `setPrimary(new)` on every node: nodes switch one by one, and both keys still open;
 * 3. `remove(old)` on every node once all have switched: the old secret stops working.
 */
export class Keyring {
  /** The network these keys belong to (bound into every derived key). */
  readonly networkId: string;
  readonly #keys = new Map<KeyId, NetworkKey>();
  readonly #listeners = new Set<(change: KeyringChange) => void>();
  #primary: NetworkKey;

  /**
   * Holds `secrets`; the first becomes primary. Throws {@link ShoalError} `INVALID_SECRET` when
   * `secrets` is empty or one is not 32 bytes, `INVALID_ARGUMENT` for a malformed network id.
   */
  constructor(networkId: string, secrets: readonly Uint8Array[]) {
    assertNetworkId(networkId);
    const [first, ...rest] = secrets;
    if (first === undefined)
      throw new ShoalError(ErrorCode.InvalidSecret, 'a keyring needs at least one secret');
    this.networkId = networkId;
    this.#primary = this.#insert(first);
    for (const secret of rest) this.#insert(secret);
  }

  /** Id of the key that seals outgoing messages. */
  get primaryKeyId(): KeyId {
    return this.#primary.keyId;
  }

  /** Ids of every key that opens incoming messages, primary included, in insertion order. */
  get keyIds(): readonly KeyId[] {
    return [...this.#keys.keys()];
  }

  /**
   * Adds a secret for opening; idempotent. Returns its key id. Throws {@link ShoalError}
   * `INVALID_SECRET` for a secret that is not 32 bytes or, with probability 2^-32, whose key id
   * collides with a different key already held.
   */
  add(secret: Uint8Array): KeyId {
    const known = this.#keys.size;
    const { keyId } = this.#insert(secret);
    if (this.#keys.size > known) this.#notify({ change: 'added', keyId });
    return keyId;
  }

  /**
   * Calls `listener` after each change: a key added, made primary, or removed (a key rotation
   * in progress). Returns an unsubscribe function. A listener that throws is ignored.
   */
  onChange(listener: (change: KeyringChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(change: KeyringChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A dashboard's bug must not undo a rotation.
      }
    }
  }

  /** True when the key named by `ref` is held. */
  has(ref: KeyRef): boolean {
    return this.#find(ref) !== undefined;
  }

  /**
   * Makes a held key the one that seals. Throws {@link ShoalError} `INVALID_ARGUMENT` when the
   * key is not held (add it first: a node must be able to open what it is about to send).
   */
  setPrimary(ref: KeyRef): void {
    const key = this.#find(ref);
    if (key === undefined) {
      throw new ShoalError(ErrorCode.InvalidArgument, 'cannot make a key primary before adding it');
    }
    if (this.#primary === key) return;
    this.#primary = key;
    this.#notify({ change: 'primary', keyId: key.keyId });
  }

  /**
   * Stops opening with a key. Returns false when it was not held. Throws {@link ShoalError}
   * `INVALID_STATE` for the primary key: make another key primary first.
   */
  remove(ref: KeyRef): boolean {
    const key = this.#find(ref);
    if (key === undefined) return false;
    if (key === this.#primary) {
      throw new ShoalError(
        ErrorCode.InvalidState,
        'cannot remove the primary key; make another key primary first',
      );
    }
    this.#keys.delete(key.keyId);
    this.#notify({ change: 'removed', keyId: key.keyId });
    return true;
  }

  /** The key that seals. For {@link MessageSealer}; holds raw key material. */
  primaryKey(): NetworkKey {
    return this.#primary;
  }

  /** The key with id `keyId`, if held. For {@link MessageSealer}; holds raw key material. */
  key(keyId: KeyId): NetworkKey | undefined {
    return this.#keys.get(keyId);
  }

  #insert(secret: Uint8Array): NetworkKey {
    const derived = deriveNetworkKey(this.networkId, secretFromBytes(secret));
    const existing = this.#keys.get(derived.keyId);
    if (existing === undefined) {
      this.#keys.set(derived.keyId, derived);
      return derived;
    }
    if (!bytesEqual(existing.key, derived.key)) {
      throw new ShoalError(
        ErrorCode.InvalidSecret,
        'key id collision with a different key; generate a new secret',
      );
    }
    return existing;
  }

  #find(ref: KeyRef): NetworkKey | undefined {
    if (typeof ref === 'number') return this.#keys.get(ref);
    if (!(ref instanceof Uint8Array) || ref.length !== SECRET_BYTES) return undefined;
    const derived = deriveNetworkKey(this.networkId, ref as NetworkSecret);
    const held = this.#keys.get(derived.keyId);
    return held !== undefined && bytesEqual(held.key, derived.key) ? held : undefined;
  }
}
