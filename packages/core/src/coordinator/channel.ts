import { type NodeId, parseNodeId } from '../ids/node-id.js';
import type { ChannelState } from './channel-state.js';
import { SharedMap } from './shared-map.js';
import { SharedStream } from './shared-stream.js';
import type { PeerSyncStatus } from './sync-engine.js';

/** What a {@link Channel} needs from its node. Internal. */
export interface ChannelHost {
  readonly state: ChannelState;
  syncStatus(): PeerSyncStatus[];
  saveMembers(): Promise<void>;
  assertOpen(): void;
}

/**
 * A named scope of maps and streams: the unit of replication (peers sync the channels both
 * have opened), of access (with members listed, it syncs only with them) and of secrecy.
 */
export class Channel {
  readonly #host: ChannelHost;
  readonly #maps = new Map<string, SharedMap>();
  readonly #streams = new Map<string, SharedStream>();

  /** @internal Created by {@link Coordinator.channel}. */
  constructor(host: ChannelHost) {
    this.#host = host;
  }

  get name(): string {
    return this.#host.state.name;
  }

  /**
   * The map called `name` in this channel, created empty on first use (and on every peer as
   * soon as one writes to it). Always the same instance for the same name.
   * @throws ShoalError `INVALID_ID` for a name that is empty or over 128 UTF-8 bytes.
   */
  map(name: string): SharedMap {
    let map = this.#maps.get(name);
    if (map === undefined) {
      this.#host.assertOpen();
      map = new SharedMap(this.#host.state.map(name));
      this.#maps.set(name, map);
    }
    return map;
  }

  /** The stream called `name` in this channel, created empty on first use. */
  stream(name: string): SharedStream {
    let stream = this.#streams.get(name);
    if (stream === undefined) {
      this.#host.assertOpen();
      stream = new SharedStream(this.#host.state.stream(name));
      this.#streams.set(name, stream);
    }
    return stream;
  }

  /** Names of the maps and streams this channel holds (including ones created by peers). */
  objects(): { maps: string[]; streams: string[] } {
    return { maps: [...this.#host.state.maps.keys()], streams: [...this.#host.state.streams.keys()] };
  }

  /**
   * Restricts this channel to listed members: once any member is added, it syncs only with
   * members (in both directions). Persisted. Resolves when durable.
   */
  addMember(id: string): Promise<void> {
    this.#host.assertOpen();
    this.#host.state.members.add(parseNodeId(id));
    return this.#host.saveMembers();
  }

  /** Removes a member; with no members left the channel is open to every peer again. */
  removeMember(id: string): Promise<void> {
    this.#host.assertOpen();
    this.#host.state.members.delete(parseNodeId(id));
    return this.#host.saveMembers();
  }

  /** The listed members (empty: every peer may sync this channel). */
  members(): NodeId[] {
    return [...this.#host.state.members];
  }

  /** Per peer: how far apart the replicas were at the last exchange. */
  syncStatus(): PeerSyncStatus[] {
    return this.#host.syncStatus();
  }
}
