import type { NodeId } from '../ids/node-id.js';
import type { MembershipConfig } from '../membership/config.js';
import type { MembershipStats } from '../membership/membership-events.js';
import type { Aead } from '../ports/aead.js';
import type { Compression } from '../ports/compression.js';
import type { KeyValueStore, StoreStats } from '../ports/key-value-store.js';
import type { MessagePort } from '../ports/message-port.js';
import type { RandomPort } from '../ports/random-port.js';
import type { Sha256 } from '../ports/sha256.js';
import type { Signer } from '../ports/signer.js';
import type { TimerPort } from '../ports/timer-port.js';
import type { Keyring } from '../security/keyring.js';
import type { SealerStats } from '../security/message-sealer.js';
import type { CoordinatorConfigInput } from './config.js';
import type { Profile } from './profiles.js';
import type { SyncStats } from './sync-engine.js';
import type { Traffic } from './traffic-counters.js';

/** How to build a {@link Coordinator}: ports plus optional identity, secret and tuning. */
export interface CoordinatorOptions {
  /**
   * This node's id. Default: the id stored in `storage`, or for a new store the self-certifying
   * id of its new identity key (ADR 0055: no other key can speak for it). A chosen name (such as
   * `'kitchen'`) is bound to its key on first use instead.
   */
  readonly id?: string;
  /**
   * The transport, or a function that opens it once the node's id is known (a transport that
   * frames datagrams with the sender's id needs it, and the id may live in `storage`). Use
   * `ports` to bridge several, e.g. UDP on the LAN plus a WebSocket hub.
   */
  readonly port?: PortSource;
  readonly ports?: readonly PortSource[];
  /** Time and scheduling. */
  readonly timers: TimerPort;
  /** Randomness for peer choice and jitter. Default: the platform CSPRNG. */
  readonly random?: RandomPort;
  /** Durable state. Default: a {@link MemoryStore} (nothing survives the process). */
  readonly storage?: KeyValueStore;
  /**
   * The network secret: 32 bytes or a `shoal://` invite token; several (the first seals, all
   * open: a key rotation in progress); or a {@link Keyring} the application keeps, to rotate
   * keys while the node runs (`add`, `setPrimary`, `remove`). Without one the node runs in
   * explicit, visible *open* mode: nothing is encrypted or authenticated.
   */
  readonly secret?: Secret | readonly Secret[] | Keyring;
  readonly config?: CoordinatorConfigInput;
  /**
   * The XChaCha20-Poly1305 implementation that seals messages. Default: `@noble/ciphers` (pure
   * JS, every platform); `@shoal/node` passes a faster OpenSSL-backed one.
   */
  readonly aead?: Aead;
  /**
   * The DEFLATE implementation for message bodies. Default: `fflate` (pure JS, every
   * platform); `@shoal/node` passes Node's zlib, about twice as fast.
   */
  readonly compression?: Compression;
  /**
   * The Ed25519 implementation behind the node's identity key. Default: `@noble/curves` (pure
   * JS, every platform); `@shoal/node` passes an OpenSSL-backed one, about 20× faster.
   */
  readonly signer?: Signer;
  /**
   * The SHA-256 implementation stream chains are hashed with (every entry appended or taken in).
   * Default: `@noble/hashes` (pure JS, every platform); `@shoal/node` passes Node's, about
   * twice as fast on an entry.
   */
  readonly sha256?: Sha256;
  /**
   * SWIM tuning: any field of the profile's preset may be overridden alone. `false` turns SWIM
   * off: the members are the peers the transports report or {@link Coordinator.addPeer} adds,
   * and nothing but sync messages is sent (a plain two-party sync).
   */
  readonly membership?: Partial<MembershipConfig> | false;
  /**
   * Timing presets for membership and sync (see {@link PROFILES}); default `'lan'`. Fields of
   * `config` and `membership` override the preset's.
   */
  readonly profile?: Profile;
  /**
   * Opens `storage` under a new node id even when it belongs to another node: for a copied data
   * directory (a clone, a restored backup running beside the original). The copy keeps the
   * data and vouches for what the original wrote, but writes, seals and gossips as a node of
   * its own, so the two never share an id, a timestamp or a nonce space.
   */
  readonly newIdentity?: boolean;
}

/** Options of {@link Coordinator.syncNow}. */
export interface SyncNowOptions {
  /**
   * How long to wait for the peers' answers, in ms of the node's clock. Default
   * `10 × gossipInterval + 2000`. The digest is resent every `pullTimeout` meanwhile, so lost
   * messages only cost time.
   */
  readonly timeout?: number;
}

/** What {@link Coordinator.syncNow} did with one peer. */
export interface PeerSyncResult {
  readonly peer: NodeId;
  /** Channels whose round with this peer completed: this node now holds what the peer held. */
  readonly synced: readonly string[];
  /**
   * Channels the peer did not answer for in time: it has not opened them (a peer never answers
   * for a channel it does not hold), or their messages were lost until the timeout.
   */
  readonly unanswered: readonly string[];
}

/** Options of {@link Coordinator.stop} and {@link Coordinator.dispose}. */
export interface StopOptions {
  /**
   * Tell the group this node is leaving (default true): members record it as `left` at once
   * instead of suspecting it and declaring it dead seconds later. It waits on no timer.
   */
  readonly leave?: boolean;
}

/** One network secret: 32 bytes, or a `shoal://` invite token carrying them. */
export type Secret = Uint8Array | string;

/** A transport, or a function opening one for this node's id. */
export type PortSource = MessagePort | ((id: NodeId) => MessagePort | Promise<MessagePort>);

/** Lifecycle state of a node. */
export type NodeState = 'created' | 'running' | 'paused' | 'stopped' | 'disposed';

/** Everything `node.events` reports. */
export type NodeEvent =
  | { readonly type: 'state'; readonly state: NodeState }
  | { readonly type: 'peer-up' | 'peer-down'; readonly peer: NodeId }
  | {
      readonly type: 'joined' | 'suspect' | 'alive' | 'dead' | 'left' | 'leader-changed';
      readonly peer: NodeId;
      readonly incarnation: number;
    }
  | { readonly type: 'open-mode'; readonly message: string }
  /** A step of a key rotation on this node's keyring (a key added, made primary, removed). */
  | {
      readonly type: 'key-rotation';
      readonly change: 'added' | 'primary' | 'removed';
      readonly keyId: number;
    };

/** A health summary; `healthy` is what a readiness probe should check. */
export interface NodeHealth {
  readonly id: NodeId;
  readonly state: NodeState;
  readonly healthy: boolean;
  /** `'open'` means nothing is encrypted or authenticated. */
  readonly mode: 'sealed' | 'open';
  readonly peers: number;
  readonly sealing: SealerStats;
  readonly errors: Record<string, number>;
  /** Inbound messages that were authenticated but did not decode or failed in a handler. */
  readonly badMessages: number;
  /**
   * Inbound messages that were authenticated but dropped unread because their sender was over
   * its rate budget (`limits.peerMessagesPerSecond`, `peerBytesPerSecond`, `peerCpuMsPerSecond`).
   */
  readonly throttled: number;
  /**
   * Inbound messages sealed under the network key alone where pair sealing was required (a
   * holder of the secret speaking in another node's name), dropped (ADR 0045).
   */
  readonly unpaired: number;
  /** Hellos offering a new key for an id whose key was heard within 30 s, refused (ADR 0045). */
  readonly refusedKeys: number;
  /** Standing conditions an operator should know of, such as open mode; empty when none. */
  readonly warnings: readonly string[];
}

/** What {@link Coordinator.stats} reports. */
export interface NodeStats {
  readonly traffic: Traffic;
  readonly membership: MembershipStats;
}

/** Resource counts, for dashboards and limits. */
export interface ResourceUsage {
  readonly channels: number;
  readonly maps: number;
  readonly streams: number;
  readonly keys: number;
  readonly tombstones: number;
  readonly streamEntries: number;
  /** Stream entries held back behind a gap. */
  readonly heldEntries: number;
  readonly pendingWrites: number;
  readonly peers: number;
  readonly sync: Readonly<SyncStats>;
  /** What the storage holds, when its adapter reports it (`KeyValueStore.stats`). */
  readonly storage?: StoreStats;
}
