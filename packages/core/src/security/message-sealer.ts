import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { isNodeId, type NodeId } from '../ids/node-id.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type Aead, nobleXChaCha20Poly1305 } from '../ports/aead.js';
import { nodeIdBytes } from '../protocol/node-id-codec.js';
import { bytesEqual } from '../storage/bytes.js';
import { readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import {
  ENVELOPE_VERSION,
  type EnvelopeHeader,
  EnvelopeMode,
  readEnvelopeHeader,
  writeEnvelopeHeader,
} from './envelope-header.js';
import type { Keyring } from './keyring.js';
import { NETWORK_TAG_BYTES, networkTag } from './network-key.js';
import { assertNetworkId } from './network-secret.js';
import type { PeerKeys } from './peer-keys.js';
import { pooledRandomBytes } from './random-pool.js';
import { ReplayWindow } from './replay-window.js';

/** Why {@link MessageSealer.open} dropped a datagram. Stable strings, part of the public API. */
export type DropReason =
  /** Truncated, trailing bytes, bad field: not an envelope. */
  | 'malformed'
  /** An envelope version this node does not speak. */
  | 'version'
  /** Another network's open traffic (network tag differs), e.g. on a shared multicast group. */
  | 'wrong-network'
  /** A sealed envelope at an open node, or an open one at a sealed node. */
  | 'mode-mismatch'
  /** Sealed with a key this node's keyring does not hold (rotation not finished?). */
  | 'unknown-key'
  /** Already seen, or too old for the sender's replay window. */
  | 'replay'
  /** The AEAD tag does not verify: tampered, forged, or sealed with a different secret. */
  | 'auth-failed'
  /**
   * Pair-sealed by a sender whose public key this node does not know yet (the node restarted,
   * or the sender's hello was lost): the node asks it for its key.
   */
  | 'unknown-peer-key'
  /**
   * Authentic, but from a boot epoch older than one already seen from that sender: a replay of
   * an earlier run, or the sender was restored from a backup and reuses old epochs (the result
   * carries the newer epoch, so the node can tell it).
   */
  | 'stale-epoch'
  /**
   * A boot epoch no node reaches by restarting: beyond {@link MAX_EPOCH}, more than
   * {@link MAX_EPOCH_STEP} above the sender's known one, or a second rise within
   * {@link MIN_EPOCH_RISE_INTERVAL}. A keyed peer posing as another must not push that peer's
   * epoch out of reach (it would be cut off as stale).
   */
  | 'implausible-epoch';

/** Every {@link DropReason}, for iterating counters. */
export const DROP_REASONS: readonly DropReason[] = [
  'malformed',
  'version',
  'wrong-network',
  'mode-mismatch',
  'unknown-key',
  'replay',
  'auth-failed',
  'unknown-peer-key',
  'stale-epoch',
  'implausible-epoch',
];

/** Highest boot epoch accepted from a peer (no node restarts 2^32 times). */
export const MAX_EPOCH = 2 ** 32;
/** Most a peer's boot epoch may rise at once (restarts while this node did not hear it). */
export const MAX_EPOCH_STEP = 1024;
/** Least time between two rises of one peer's boot epoch, in ms (a crash loop is slower). */
export const MIN_EPOCH_RISE_INTERVAL = 1000;

/** The outcome of {@link MessageSealer.open}: an authenticated body, or why it was dropped. */
export type OpenResult =
  | {
      readonly ok: true;
      readonly sender: NodeId;
      /** The plaintext body, a fresh copy owned by the caller. */
      readonly body: Uint8Array;
      readonly epoch: number;
      readonly counter: number;
      /**
       * Pair-sealed: authentic as from `sender` itself. Otherwise only as from some holder of
       * the network secret (always so at a node without {@link MessageSealerOptions.identity}).
       */
      readonly paired: boolean;
    }
  | { readonly ok: false; readonly reason: Exclude<DropReason, 'stale-epoch'> }
  | {
      readonly ok: false;
      readonly reason: 'stale-epoch';
      /** The epoch the message carried, and the newer one already seen from its sender. */
      readonly epoch: number;
      readonly knownEpoch: number;
      /**
       * The authentic body, for the one use a stale message has: a hello's key, which a node
       * restored from a backup needs before it can open the notice telling it to move on.
       */
      readonly body: Uint8Array;
    };

/** Counters for health reporting. `dropped` has one entry per {@link DropReason}. */
export interface SealerStats {
  readonly sealed: number;
  readonly opened: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
}

/** How a {@link MessageSealer} is set up. */
export interface MessageSealerOptions {
  /** The network's name; its tag goes into every header. Must match `keyring.networkId`. */
  readonly networkId: string;
  /** This node's id, bound (as associated data, not written) into every sealed message. */
  readonly self: NodeId;
  /**
   * This node's boot counter: persisted by the caller and incremented on every start, so
   * (epoch, counter) never repeats across restarts and peers' replay windows accept the new run.
   */
  readonly epoch: number;
  /** The keys to seal and open with, or `'open'` for an explicitly unencrypted network. */
  readonly keyring: Keyring | 'open';
  /**
   * This node's identity and its peers' keys: with it (and a keyring), messages to a peer whose
   * key is known are pair-sealed ({@link EnvelopeMode.Paired}) and pair-sealed messages open.
   */
  readonly identity?: PeerKeys;
  /** XChaCha20-Poly1305 implementation; defaults to {@link nobleXChaCha20Poly1305}. */
  readonly aead?: Aead;
  /** Source of nonces; defaults to the platform CSPRNG through a pooled buffer. Inject only in tests. */
  readonly randomBytes?: (length: number) => Uint8Array;
  /** Replay window width in messages (rounded up to a multiple of 32); default 1024. */
  readonly replayWindow?: number;
  /** Senders whose replay windows are remembered, least recently heard forgotten first; default 1024. */
  readonly maxTrackedSenders?: number;
  /**
   * Monotonic time in ms, for {@link MIN_EPOCH_RISE_INTERVAL}. Without it only the size of an
   * epoch rise is checked.
   */
  readonly now?: () => number;
}

/**
 * Wraps every protocol message in an envelope and unwraps received ones.
 *
 * Sealed mode: the body is encrypted with XChaCha20-Poly1305 under the keyring's primary key
 * and a fresh random 24-byte nonce (the extended nonce makes random nonces safe: collision
 * odds stay negligible for 2^80 messages). The associated data is the sender's id followed by
 * the whole header, so a forged sender, network tag, key id, epoch or counter fails
 * authentication. The sender's id is not sent: the transport reports it (ADR 0010).
 *
 * Paired mode (with {@link MessageSealerOptions.identity}): as sealed, under the key only the
 * sender and the receiver can derive ({@link PeerKeys}), so the message is authentic as from
 * the sending node, not merely from a holder of the secret.
 *
 * Open mode: the same header with no key id or nonce, the body in the clear, nothing
 * authenticated. Sealed and open nodes never accept each other's envelopes.
 *
 * {@link open} is total: it returns a result for any bytes and never throws. It checks bounds,
 * version, network tag, mode, key id and the replay window before any crypto, and moves the
 * replay window only after authentication succeeds.
 */
export class MessageSealer {
  /** This node's id as {@link nodeIdBytes} writes it: the first part of every seal's associated data. */
  readonly #selfBytes: Uint8Array;
  #epoch: number;
  readonly #tag: Uint8Array;
  readonly #keyring: Keyring | undefined;
  readonly #identity: PeerKeys | undefined;
  readonly #aead: Aead;
  readonly #randomBytes: (length: number) => Uint8Array;
  readonly #replay: ReplayWindow;
  readonly #now: () => number;
  /** When each sender's boot epoch last rose here (bounded like the replay windows). */
  readonly #epochRaisedAt = new Map<NodeId, number>();
  #counter = 0;
  #sealed = 0;
  #opened = 0;
  readonly #dropped = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<
    DropReason,
    number
  >;

  /**
   * Throws {@link ShoalError} `INVALID_ARGUMENT` for a malformed network id, node id or epoch
   * (not a non-negative safe integer), or a keyring of another network.
   */
  constructor(options: MessageSealerOptions) {
    assertNetworkId(options.networkId);
    if (!isNodeId(options.self)) throw invalidArgument(`invalid node id ${JSON.stringify(options.self)}`);
    if (!Number.isSafeInteger(options.epoch) || options.epoch < 0) {
      throw invalidArgument(`epoch must be a non-negative safe integer, got ${options.epoch}`);
    }
    if (options.keyring !== 'open' && options.keyring.networkId !== options.networkId) {
      throw invalidArgument(
        `keyring belongs to network ${JSON.stringify(options.keyring.networkId)}, not ${JSON.stringify(options.networkId)}`,
      );
    }
    this.#selfBytes = nodeIdBytes(options.self);
    this.#epoch = options.epoch;
    this.#tag = networkTag(options.networkId);
    this.#keyring = options.keyring === 'open' ? undefined : options.keyring;
    this.#identity = this.#keyring === undefined ? undefined : options.identity;
    this.#aead = options.aead ?? nobleXChaCha20Poly1305;
    this.#randomBytes = options.randomBytes ?? pooledRandomBytes();
    this.#now = options.now ?? (() => Number.POSITIVE_INFINITY);
    this.#replay = new ReplayWindow({
      ...(options.replayWindow === undefined ? {} : { size: options.replayWindow }),
      ...(options.maxTrackedSenders === undefined ? {} : { maxSenders: options.maxTrackedSenders }),
    });
  }

  /** `'sealed'` with a keyring, `'open'` without: surface it in health, warn once when open. */
  get mode(): 'sealed' | 'open' {
    return this.#keyring === undefined ? 'open' : 'sealed';
  }

  /**
   * Most bytes {@link seal} adds to a body (this node's header with the longest varints, plus
   * the AEAD tag): a body of `maxMessageSize - overhead` bytes always fits the transport.
   */
  get overhead(): number {
    const fixed = 2 + 2 * 8;
    return this.#keyring === undefined
      ? fixed + NETWORK_TAG_BYTES
      : fixed + 4 + AEAD_NONCE_BYTES + AEAD_TAG_BYTES;
  }

  /**
   * Whether a message to `peer` would be pair-sealed: this node has an identity and knows
   * `peer`'s key. Without an identity every message is sealed (or open) as before.
   */
  canPair(peer: NodeId): boolean {
    return this.#identity?.knows(peer) ?? false;
  }

  /** Whether this node pair-seals (it has an identity and a keyring). */
  get pairs(): boolean {
    return this.#identity !== undefined;
  }

  /**
   * The envelope carrying `body` (an encoded protocol message), stamped with this node's epoch
   * and the next counter; pair-sealed for `to` when {@link canPair} says so, else sealed under
   * the network key (hellos, announcements). Throws {@link ShoalError} `INVALID_STATE` only
   * after 2^53 messages in one epoch, which restarting (a new epoch) resolves.
   */
  seal(body: Uint8Array, to?: NodeId): Uint8Array {
    if (this.#counter > Number.MAX_SAFE_INTEGER) {
      throw new ShoalError(ErrorCode.InvalidState, 'message counter exhausted; restart with a new epoch');
    }
    const common = { epoch: this.#epoch, counter: this.#counter++ };
    const writer = new ByteWriter(this.overhead + body.length);
    this.#sealed++;
    if (this.#keyring === undefined) {
      writeEnvelopeHeader(writer, { ...common, mode: EnvelopeMode.Open, networkTag: this.#tag });
      return writer.writeRaw(body).finish();
    }
    const network = this.#keyring.primaryKey();
    const pairKey = to === undefined ? undefined : this.#identity?.sealingKey(to, network);
    const { keyId } = network;
    const key = pairKey ?? network.key;
    const mode = pairKey === undefined ? EnvelopeMode.Sealed : EnvelopeMode.Paired;
    const nonce = this.#randomBytes(AEAD_NONCE_BYTES);
    writeEnvelopeHeader(writer, { ...common, mode, keyId, nonce });
    const aad = concat(this.#selfBytes, writer.finish());
    return writer.writeRaw(this.#aead.seal(key, nonce, body, aad)).finish();
  }

  /**
   * Unwraps an envelope that the transport reports came from `sender`. A sealed envelope
   * authenticates that claim (a relabelled message fails as `auth-failed`); an open one takes
   * it on trust. Never throws; every refusal is counted in {@link stats} and leaves the replay
   * window unchanged.
   */
  open(bytes: Uint8Array, sender: NodeId): OpenResult {
    const result = this.#open(bytes, sender);
    if (result.ok) this.#opened++;
    else this.#dropped[result.reason]++;
    return result;
  }

  /** This node's boot epoch (it only rises: {@link MessageSealer.raiseEpoch}). */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Moves this node to boot epoch `epoch` (when above the current one), with a fresh message
   * counter: peers that remember a newer epoch of this node than the one it booted with (it was
   * restored from a backup) accept it again. The caller persists the new epoch first.
   */
  raiseEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch <= this.#epoch) return;
    this.#epoch = epoch;
    this.#counter = 0;
  }

  /** A snapshot of the counters since construction. */
  stats(): SealerStats {
    return { sealed: this.#sealed, opened: this.#opened, dropped: { ...this.#dropped } };
  }

  /** Each remembered sender's newest (epoch, counter), least recently heard first. */
  replayFloors(): Array<{ sender: NodeId; epoch: number; counter: number }> {
    return this.#replay.floors();
  }

  /** Restores floors saved by a previous run: everything a sender sent up to its floor counts as seen. */
  restoreReplayFloors(floors: ReadonlyArray<{ sender: NodeId; epoch: number; counter: number }>): void {
    for (const { sender, epoch, counter } of floors) this.#replay.restore(sender, epoch, counter);
  }

  /** Number of senders whose replay windows are remembered. */
  get trackedSenders(): number {
    return this.#replay.trackedSenders;
  }

  #open(bytes: Uint8Array, sender: NodeId): OpenResult {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) return drop('malformed');
    if (bytes[0] !== ENVELOPE_VERSION) return drop('version');
    const decoded = readAll(bytes, (reader) => {
      const header = readEnvelopeHeader(reader);
      const headerLength = reader.offset;
      return { header, headerLength, payload: reader.readRaw(reader.remaining) };
    });
    if (!decoded.ok) return drop('malformed');
    const { header, headerLength, payload } = decoded.value;
    // A sealed envelope of another network names a key id this node does not hold.
    if (header.mode === EnvelopeMode.Open && !bytesEqual(header.networkTag, this.#tag)) {
      return drop('wrong-network');
    }
    const sealed = header.mode !== EnvelopeMode.Open;
    if (sealed !== (this.#keyring !== undefined)) return drop('mode-mismatch');
    if (header.mode === EnvelopeMode.Paired && this.#identity === undefined) return drop('mode-mismatch');
    if (!isNodeId(sender)) return drop('malformed');
    const knownEpoch = this.#replay.epochOf(sender);
    const stale = knownEpoch !== undefined && header.epoch < knownEpoch;
    if (header.epoch > MAX_EPOCH) return drop('implausible-epoch');
    if (knownEpoch !== undefined && header.epoch > knownEpoch) {
      const raisedAgo = this.#now() - (this.#epochRaisedAt.get(sender) ?? Number.NEGATIVE_INFINITY);
      if (header.epoch - knownEpoch > MAX_EPOCH_STEP || raisedAgo < MIN_EPOCH_RISE_INTERVAL) {
        return drop('implausible-epoch');
      }
    }
    if (!stale && !this.#replay.check(sender, header.epoch, header.counter)) return drop('replay');
    const body = this.#decrypt(header, sender, bytes.subarray(0, headerLength), payload);
    if (typeof body === 'string') return drop(body);
    // Authentic but from an older boot: never accepted, but worth telling its sender (a
    // restored backup would otherwise be deaf until it restarts past its old epochs).
    if (stale) return { ok: false, reason: 'stale-epoch', epoch: header.epoch, knownEpoch, body };
    if (knownEpoch !== undefined && header.epoch > knownEpoch) this.#noteEpochRise(sender);
    this.#replay.accept(sender, header.epoch, header.counter);
    const paired = header.mode === EnvelopeMode.Paired;
    return { ok: true, sender, body, epoch: header.epoch, counter: header.counter, paired };
  }

  #noteEpochRise(sender: NodeId): void {
    this.#epochRaisedAt.delete(sender);
    this.#epochRaisedAt.set(sender, this.#now());
    if (this.#epochRaisedAt.size > this.#replay.maxSenders) {
      this.#epochRaisedAt.delete(this.#epochRaisedAt.keys().next().value as NodeId);
    }
  }

  #decrypt(
    header: EnvelopeHeader,
    sender: NodeId,
    headerBytes: Uint8Array,
    payload: Uint8Array,
  ): Uint8Array | 'unknown-key' | 'unknown-peer-key' | 'malformed' | 'auth-failed' {
    if (header.mode === EnvelopeMode.Open || this.#keyring === undefined) return payload.slice();
    const network = this.#keyring.key(header.keyId);
    if (network === undefined) return 'unknown-key';
    if (payload.length < AEAD_TAG_BYTES) return 'malformed';
    const aad = concat(nodeIdBytes(sender), headerBytes);
    if (header.mode === EnvelopeMode.Sealed || this.#identity === undefined) {
      return this.#tryOpen(network.key, header.nonce, payload, aad) ?? 'auth-failed';
    }
    const identity = this.#identity;
    const candidates = identity.openingKeys(sender);
    if (candidates.length === 0) return 'unknown-peer-key';
    for (const publicKey of candidates) {
      const pairKey = identity.pairKey(publicKey, network);
      const body = pairKey === undefined ? undefined : this.#tryOpen(pairKey, header.nonce, payload, aad);
      if (body === undefined) continue;
      identity.confirm(sender, publicKey);
      return body;
    }
    return 'auth-failed';
  }

  #tryOpen(key: Uint8Array, nonce: Uint8Array, payload: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
    try {
      return this.#aead.open(key, nonce, payload, aad);
    } catch {
      // An injected Aead that throws despite its contract must not make open() throw.
      return undefined;
    }
  }
}

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}

function drop(reason: Exclude<DropReason, 'stale-epoch'>): OpenResult {
  return { ok: false, reason };
}

function invalidArgument(message: string): ShoalError {
  return new ShoalError(ErrorCode.InvalidArgument, message);
}
