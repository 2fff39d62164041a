import { encodeCounterRecord } from '../persistence/records.js';
import { channelSyncKey } from '../persistence/storage-keys.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import type { TimerPort } from '../ports/timer-port.js';
import type { ChannelState } from './channel-state.js';
import type { CoordinatorConfig } from './config.js';

/**
 * How long deletes are remembered, and what a replica does that was away for longer (see
 * `CoordinatorConfig.tombstoneHorizon`): tombstones older than the horizon are purged every
 * `compactionInterval`; a channel is *fresh* when it completed a sync within the horizon and
 * *stale* when it synced once but not since; a stale replica meeting a fresh peer drops every
 * entry older than the horizon before it sends anything, and fetches them again, so a key
 * deleted (and purged) elsewhere never comes back.
 */
export class TombstoneHorizon {
  readonly #timers: TimerPort;
  readonly #config: CoordinatorConfig;
  readonly #writes: WriteQueue;
  readonly #channels: ReadonlyMap<string, ChannelState>;
  #cancel: (() => void) | undefined;

  constructor(deps: {
    timers: TimerPort;
    config: CoordinatorConfig;
    writes: WriteQueue;
    channels: ReadonlyMap<string, ChannelState>;
  }) {
    this.#timers = deps.timers;
    this.#config = deps.config;
    this.#writes = deps.writes;
    this.#channels = deps.channels;
  }

  /** Purges now, then every `compactionInterval` until {@link TombstoneHorizon.stop}. */
  start(): void {
    this.#cancel?.();
    const cutoff = this.#timers.now() - this.#config.tombstoneHorizon;
    for (const channel of this.#channels.values()) channel.purgeTombstones(cutoff);
    this.#cancel = this.#timers.setTimeout(() => this.start(), this.#config.compactionInterval);
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /** True when `channel` completed a sync within the tombstone horizon. */
  isFresh(channel: ChannelState): boolean {
    const last = channel.lastSyncedAt;
    return last !== undefined && this.#timers.now() - last <= this.#config.tombstoneHorizon;
  }

  /**
   * Before a peer's digest or delta is handled: a stale replica meeting a fresh peer (one that
   * has seen every delete it purged) drops what is older than the horizon and counts as synced.
   * Two stale replicas have no such authority and sync as they are.
   */
  meet(channel: ChannelState, peerFresh: boolean): void {
    if (!peerFresh || channel.lastSyncedAt === undefined || this.isFresh(channel)) return;
    const now = this.#timers.now();
    channel.dropOlderThan(now - this.#config.tombstoneHorizon);
    this.#markSynced(channel, now);
  }

  /** A pull completed: a stale replica becomes fresh only through a fresh peer (or its own refresh). */
  pulled(channel: ChannelState, peerFresh: boolean): void {
    const stale = channel.lastSyncedAt !== undefined && !this.isFresh(channel);
    if (peerFresh || !stale) this.#markSynced(channel, this.#timers.now());
  }

  #markSynced(channel: ChannelState, at: number): void {
    channel.lastSyncedAt = at;
    this.#writes
      .write({
        type: 'put',
        key: channelSyncKey(channel.name),
        value: encodeCounterRecord(Math.max(0, Math.floor(at))),
      })
      .catch(() => {});
  }
}
