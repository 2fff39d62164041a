import { ErrorCode, ShoalError } from '../errors/shoal-error.js';

/** Resource limits. A local write over a limit fails at the call and changes nothing. */
export interface Limits {
  /** Largest encoded map value, in bytes. Default 64 KiB (fits a few dozen datagrams). */
  readonly maxValueBytes: number;
  /** Largest map key, in UTF-8 bytes. Default 1 KiB. */
  readonly maxKeyBytes: number;
  /** Largest stream payload, in bytes. Default 64 KiB. */
  readonly maxPayloadBytes: number;
  /** Most keys (tombstones included) one channel's maps may hold in all. Default 1 000 000. */
  readonly maxKeysPerChannel: number;
  /** Most peers tracked at once; further peers are ignored. Default 1024. */
  readonly maxPeers: number;
  /**
   * Bytes held for fragmented messages still incomplete (entries larger than a datagram), all
   * peers together; beyond it the oldest are dropped. Default 4 MiB.
   */
  readonly maxPendingFragmentBytes: number;
  /**
   * Most entries one stream may hold; an append beyond it fails with `LIMIT_EXCEEDED` and a
   * peer's entries beyond it are dropped and reported. Default 1 000 000.
   */
  readonly maxStreamEntries: number;
  /**
   * Most channels one node opens on demand for its peers (`joinChannelsOnDemand`); channels the
   * application opens are not counted. Default 10 000.
   */
  readonly maxChannels: number;
  /** Largest snapshot `Channel.import` accepts, in bytes. Default 256 MiB. */
  readonly maxImportBytes: number;
  /**
   * Most map entries one answer to a peer's digest carries. A peer lacking more (a newcomer to
   * a large channel) gets them over several exchanges, each vouching only for what it carried,
   * so answering never holds more than this many entries in memory at once (a channel kept in
   * the store may be far larger than memory). Over UDP on loopback a newcomer to 1M keys stopped
   * gaining with answers of 200 000 entries and caught up steadily with 20 000 (ADR 0050).
   * Default 20 000.
   */
  readonly maxAnswerEntries: number;
  /**
   * Authenticated messages one peer may have handled per second, sustained. Beyond its budget
   * (this rate, `peerMessageBurst` at once) a peer's messages are dropped, counted in
   * `health().throttled` and reported once per episode (`LIMIT_EXCEEDED`). Default 20 000:
   * several times what a full-speed bulk sync from one peer sends.
   */
  readonly peerMessagesPerSecond: number;
  /** Messages one peer may have handled at once, before its rate applies. Default 40 000. */
  readonly peerMessageBurst: number;
  /** Wire bytes (sealed) of one peer's messages handled per second, sustained. Default 64 MiB. */
  readonly peerBytesPerSecond: number;
  /**
   * Wire bytes of one peer's messages handled at once. Default 128 MiB. A datagram larger than
   * this is never handled, so keep it above the transport's largest message.
   */
  readonly peerByteBurst: number;
  /**
   * Milliseconds of handler time (decoding, merging, answering) one peer's messages may take
   * per second, sustained, measured on the monotonic clock. Default 500: half a core.
   */
  readonly peerCpuMsPerSecond: number;
  /**
   * Milliseconds of handler time one peer's messages may take at once. Default 10 000: a
   * newcomer merging a 1M-key catch-up from one peer (about 150k entries/s) stays within it.
   */
  readonly peerCpuBurstMs: number;
}

/** Tuning of a {@link Coordinator}. Every field is optional; see each default. */
export interface CoordinatorConfig {
  /**
   * How often a node starts a push-pull round with one peer per channel, in ms. Default 200.
   * Each round is jittered by ±25% so nodes do not fall into lock-step.
   */
  readonly gossipInterval: number;
  /**
   * The longest wait between rounds of a channel where nothing moves, in ms: idle rounds double
   * the wait from `gossipInterval` up to this. Default 8 × gossipInterval. Set it equal to
   * `gossipInterval` to disable the backoff.
   */
  readonly idleGossipInterval: number;
  /** Peers an eager push of a local write goes to at once. Default 3. */
  readonly fanout: number;
  /** A remote timestamp further ahead of our wall clock than this is refused, in ms. Default 60 000. */
  readonly maxDrift: number;
  /**
   * How long a pull (the answer to our digest) may stay silent before we give up on it and may
   * pull from someone else, in ms. Default 1 × gossipInterval: a lost message costs one round,
   * while a long transfer keeps it alive chunk by chunk.
   */
  readonly pullTimeout: number;
  /** The network's name: its tag goes into every envelope, separating networks that share a LAN. */
  readonly network: string;
  /** Resource limits. */
  readonly limits: Limits;
  /** Most errors per code reported on `node.errors` per second (the rest are counted). Default 10. */
  readonly errorRateLimit: number;
  /**
   * How long a delete is remembered, in ms. Default 30 days. A tombstone older than this is
   * purged from memory and disk. A replica whose last completed sync is older than this is
   * *stale*: when it meets a *fresh* peer (one that synced within the horizon) it drops every map
   * entry older than the horizon before it sends anything, and fetches them again, so a key
   * deleted (and purged) elsewhere never comes back. Consequences: a stale replica's own writes
   * older than the horizon that no peer ever received are dropped; and when no fresh replica
   * exists (every node was cut off from every other for longer than the horizon) a purged delete
   * can be undone. Set it longer than the longest partition or offline period you expect.
   */
  readonly tombstoneHorizon: number;
  /** How often tombstones older than the horizon are purged, in ms. Default 1 hour. */
  readonly compactionInterval: number;
  /**
   * Open (and so store and serve) any channel a peer syncs with this node, not only the ones the
   * application opened: what a hub does, so clients on different hubs meet whatever channels
   * they use. At most `limits.maxChannels` are opened this way. Default false.
   */
  readonly joinChannelsOnDemand: boolean;
  /**
   * Where map entries live. `'memory'` (default): every entry is held in the heap, loaded from
   * storage when its channel opens. `'store'`: entries stay in storage, which must read
   * synchronously (`LmdbStore`, `MemoryStore`; not IndexedDB); memory holds only per-writer
   * sync state and writes not yet durable, so a channel opens in time and memory that do not
   * grow with its size, and may be larger than memory (ADR 0050). Reads then decode from the
   * store on every call (about a microsecond or two with LMDB), `get()` returns a new frozen
   * copy each time, and keys iterate in the store's order (shorter UTF-8 first, then by bytes)
   * rather than first-write order.
   */
  readonly mapEntries: 'memory' | 'store';
}

/** The default limits. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxValueBytes: 64 * 1024,
  maxKeyBytes: 1024,
  maxPayloadBytes: 64 * 1024,
  maxKeysPerChannel: 1_000_000,
  maxPeers: 1024,
  maxPendingFragmentBytes: 4 * 1024 * 1024,
  maxStreamEntries: 1_000_000,
  maxImportBytes: 256 * 1024 * 1024,
  maxAnswerEntries: 20_000,
  maxChannels: 10_000,
  peerMessagesPerSecond: 20_000,
  peerMessageBurst: 40_000,
  peerBytesPerSecond: 64 * 1024 * 1024,
  peerByteBurst: 128 * 1024 * 1024,
  peerCpuMsPerSecond: 500,
  peerCpuBurstMs: 10_000,
});

/** User-facing config: any subset, limits merged field by field. */
export type CoordinatorConfigInput = Partial<Omit<CoordinatorConfig, 'limits'>> & {
  readonly limits?: Partial<Limits>;
};

/**
 * Fills defaults and validates. Throws {@link ShoalError} `INVALID_ARGUMENT` naming the first
 * bad field.
 */
export function resolveConfig(input: CoordinatorConfigInput = {}): CoordinatorConfig {
  const gossipInterval = input.gossipInterval ?? 200;
  const config: CoordinatorConfig = {
    gossipInterval,
    idleGossipInterval: input.idleGossipInterval ?? 8 * gossipInterval,
    fanout: input.fanout ?? 3,
    maxDrift: input.maxDrift ?? 60_000,
    pullTimeout: input.pullTimeout ?? gossipInterval,
    network: input.network ?? 'shoal',
    errorRateLimit: input.errorRateLimit ?? 10,
    tombstoneHorizon: input.tombstoneHorizon ?? 30 * 24 * 3600 * 1000,
    compactionInterval: input.compactionInterval ?? 3600 * 1000,
    joinChannelsOnDemand: input.joinChannelsOnDemand ?? false,
    mapEntries: input.mapEntries ?? 'memory',
    limits: { ...DEFAULT_LIMITS, ...input.limits },
  };
  positive('gossipInterval', config.gossipInterval);
  positive('pullTimeout', config.pullTimeout);
  positive('idleGossipInterval', config.idleGossipInterval);
  positive('maxDrift', config.maxDrift);
  positive('errorRateLimit', config.errorRateLimit);
  positive('tombstoneHorizon', config.tombstoneHorizon);
  positive('compactionInterval', config.compactionInterval);
  if (!Number.isInteger(config.fanout) || config.fanout < 0) invalid('fanout', config.fanout);
  if (typeof config.joinChannelsOnDemand !== 'boolean')
    invalid('joinChannelsOnDemand', config.joinChannelsOnDemand);
  if (config.mapEntries !== 'memory' && config.mapEntries !== 'store')
    invalid('mapEntries', config.mapEntries);
  for (const [name, value] of Object.entries(config.limits)) {
    if (!Number.isInteger(value) || value <= 0) invalid(`limits.${name}`, value);
  }
  return config;
}

function positive(name: string, value: number): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) invalid(name, value);
}

function invalid(name: string, value: unknown): never {
  throw new ShoalError(
    ErrorCode.InvalidArgument,
    `config.${name} must be a positive number, got ${String(value)}`,
  );
}
