import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { parseChannelId } from '../ids/channel-id.js';
import { encodeSetSignatureRecord } from '../persistence/records.js';
import { channelMetaKey, mapClockKey } from '../persistence/storage-keys.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import { Channel } from './channel.js';
import { encodeMembers, loadChannel } from './channel-loader.js';
import { ChannelState } from './channel-state.js';
import type { NodeContext } from './node-context.js';
import type { PeerSyncStatus } from './sync-engine.js';

/** What the channel registry needs from the rest of the node. */
export interface ChannelRegistryDeps {
  /** Lent to every channel opened (identity, clock, writes, errors, `assertOpen`). */
  readonly context: NodeContext;
  /** Where channels are loaded from. */
  readonly storage: KeyValueStore;
  /** The sync engine's view of `channel` per peer, for {@link Channel.syncStatus}. */
  readonly syncStatus: (channel: ChannelState) => PeerSyncStatus[];
}

/**
 * The channels open on this node: opened by the application ({@link ChannelRegistry.open}) or
 * for peers ({@link ChannelRegistry.joinOnDemand}), each loaded from storage once.
 *
 * Guarantees: one load and one {@link Channel} per name however many concurrent opens (a load
 * that fails is forgotten, so the next open tries again); a channel is in
 * {@link ChannelRegistry.states}, and so synced, only once it is loaded and its own clocks are
 * raised to every write it ever made durable; channels joined for peers never exceed
 * `limits.maxChannels`.
 */
export class ChannelRegistry {
  readonly #deps: ChannelRegistryDeps;
  readonly #states = new Map<string, ChannelState>();
  readonly #facades = new Map<string, Promise<Channel>>();
  /** Channels opened for peers (`joinChannelsOnDemand`), counted against `limits.maxChannels`. */
  #joinedOnDemand = 0;

  constructor(deps: ChannelRegistryDeps) {
    this.#deps = deps;
  }

  /** The loaded channels by name: what the sync engine and the tombstone horizon work on. */
  get states(): ReadonlyMap<string, ChannelState> {
    return this.#states;
  }

  /**
   * Opens the channel `name`, loading what storage holds of it; creates it empty when new.
   * Rejects with `CLOSED` once the node is disposed, `INVALID_ID` for a bad name, `CORRUPT_DATA`
   * for unreadable storage.
   */
  async open(name: string): Promise<Channel> {
    this.#deps.context.assertOpen();
    const id = parseChannelId(name);
    let facade = this.#facades.get(id);
    if (facade === undefined) {
      facade = this.#load(id);
      this.#facades.set(id, facade);
      facade.catch(() => this.#facades.delete(id));
    }
    return facade;
  }

  /** Names of the loaded channels, sorted. */
  names(): string[] {
    return [...this.#states.keys()].sort();
  }

  /**
   * A peer syncs `name`: a node with `joinChannelsOnDemand` opens it (bounded by
   * `limits.maxChannels`), so it is served next round. Failures are reported, never thrown: a
   * peer's message is what asked.
   */
  joinOnDemand(name: string): void {
    const { config, reportError } = this.#deps.context;
    if (!config.joinChannelsOnDemand || this.#facades.has(name)) return;
    if (this.#joinedOnDemand >= config.limits.maxChannels) {
      reportError(
        new ShoalError(
          ErrorCode.LimitExceeded,
          `not opening channel ${JSON.stringify(name)}: maxChannels reached`,
        ),
      );
      return;
    }
    this.#joinedOnDemand++;
    this.open(name).catch((error: unknown) => {
      this.#joinedOnDemand--;
      reportError(error instanceof ShoalError ? error : new ShoalError(ErrorCode.Storage, String(error)));
    });
  }

  /**
   * Queues each map's own signature over its own set for storage (one is stored with each
   * signing, and a node signs its set again on load), so a copy of the store loaded by another
   * node (a restored backup, a seeded replica) holds this node's writes as signed. Call once own
   * writes are durable. Write failures are reported by the queue.
   */
  saveOwnClocks(): void {
    const { self, writes } = this.#deps.context;
    for (const channel of this.#states.values()) {
      for (const [name, map] of channel.maps) {
        map.proveOwn();
        const signed = map.replica.sets.signatureOf(self);
        if (signed === undefined) continue;
        writes
          .write({
            type: 'put',
            key: mapClockKey(channel.name, name, self),
            value: encodeSetSignatureRecord(signed),
          })
          .catch(() => {});
      }
    }
  }

  /** Ends every `watch()` of every channel. */
  closeWatchers(): void {
    for (const channel of this.#states.values()) channel.closeWatchers();
  }

  async #load(name: string): Promise<Channel> {
    const { context, storage } = this.#deps;
    const state = new ChannelState(context, name);
    const high = await loadChannel(storage, state, context.entryStore);
    context.hlc.observe(high);
    this.#states.set(name, state);
    return new Channel({
      state,
      syncStatus: () => this.#deps.syncStatus(state),
      flush: () => context.writes.flush(),
      maxImportBytes: context.config.limits.maxImportBytes,
      saveMembers: () =>
        context.writes.write({
          type: 'put',
          key: channelMetaKey(name),
          value: encodeMembers(state.members.values(), state.memberIds),
        }),
      assertOpen: () => context.assertOpen(),
    });
  }
}
