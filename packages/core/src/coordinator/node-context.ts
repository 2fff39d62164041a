import type { Hlc } from '../clock/hlc.js';
import type { ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import type { Sha256 } from '../ports/sha256.js';
import type { ObjectPlan } from '../sync/delta-chunker.js';
import type { SyncReadStore } from '../sync/stored-entries.js';
import type { CoordinatorConfig } from './config.js';

/**
 * What a node lends its channels, maps and streams: identity, clock, durable writes, eager
 * push and error reporting. Internal; it keeps the data objects free of the node's wiring.
 */
export interface NodeContext {
  readonly self: NodeId;
  readonly hlc: Hlc;
  readonly config: CoordinatorConfig;
  readonly writes: WriteQueue;
  /** The store map entries are kept in, when `config.mapEntries` is `'store'` (ADR 0050). */
  readonly entryStore: SyncReadStore | undefined;
  /**
   * `peer`'s public key as messages to it are sealed for (never in open mode): bound by a message
   * that opened under it, or offered by its hello; only its holder can read what is sent to it.
   */
  keyOf(peer: NodeId): Uint8Array | undefined;
  /**
   * The key `author`'s signatures must verify under, where this node knows it first-hand: its
   * own for itself, else the key a pair-sealed message from it opened under. `'awaited'`: not
   * known yet, but `author` is a live member whose key a first exchange will prove, so a key
   * someone else names for it is not to be trusted meanwhile. `undefined`: not known first-hand
   * and not awaited: a self-certifying author (its id names its key, so any key that derives the
   * id is its key, ADR 0055), or one this node has no way to know (open mode, an author never
   * met and not reachable), whose signature is then taken under the key it names.
   */
  authorKey(author: NodeId): Uint8Array | 'awaited' | undefined;
  /** Signs `message` with this node's identity key (Ed25519). */
  sign(message: Uint8Array): Uint8Array;
  /** True when `signature` is a valid Ed25519 signature of `message` by `publicKey`; never throws. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** SHA-256, as the platform does it fastest (stream chains). */
  readonly sha256: Sha256;
  /** This node's public identity key. */
  readonly publicKey: Uint8Array;
  /** The next local change sequence number (the cursor of every `watch()`). */
  nextChangeSeq(): number;
  /** Local writes became durable: push them to a few peers soon. */
  pushLocal(channel: string, plan: ObjectPlan): void;
  /** Whether a push of `channel` would reach any peer now. */
  canPush(channel: string): boolean;
  /** Sends `plan` to `peer` alone (what it needs to see its own history, ADR 0058). */
  sendPlan(peer: NodeId, channel: string, plan: ObjectPlan): void;
  /** Reports an error on `node.errors` (rate-limited). */
  reportError(error: ShoalError): void;
  /** Throws `CLOSED` once the node is disposed. */
  assertOpen(): void;
}
