import type { NodeId } from '../ids/node-id.js';
import type { MemberInfo } from '../membership/member-state.js';
import type { MessagePort } from '../ports/message-port.js';

/** What the peer directory tells the rest of the node. */
export interface PeerDirectoryDeps {
  readonly self: NodeId;
  readonly ports: readonly MessagePort[];
  /** Most peers tracked; further ones are ignored (`limits.maxPeers`). */
  readonly maxPeers: number;
  /** Membership's view, to leave out peers it believes dead or gone. */
  readonly members: () => readonly MemberInfo[];
  /** A peer became known. */
  readonly up: (peer: NodeId) => void;
  /** A transport reported a known peer gone. */
  readonly down: (peer: NodeId) => void;
}

/**
 * Which peers this node knows and through which port each is reached (a node bridging UDP and
 * a WebSocket hub reaches each peer through the port it heard it on).
 *
 * Discovery hints are trusted only from address-free transports (memory, WebSocket hub): a
 * transport that needs addresses (UDP) reports peers from unauthenticated datagrams, so those
 * are added only once a sealed message from them opens ({@link PeerDirectory.heard}) or gossip
 * inside one names their address ({@link PeerDirectory.learnAddress}).
 */
export class PeerDirectory {
  readonly #deps: PeerDirectoryDeps;
  readonly #peers = new Map<NodeId, MessagePort>();

  constructor(deps: PeerDirectoryDeps) {
    this.#deps = deps;
  }

  has(peer: NodeId): boolean {
    return this.#peers.has(peer);
  }

  /** The port to reach `peer` through: the one it was heard on, or the first. */
  portFor(peer: NodeId): MessagePort | undefined {
    return this.#peers.get(peer) ?? this.#deps.ports[0];
  }

  /** A sealed message from `peer` opened on `port` (from `source`, on a port with addresses). */
  heard(peer: NodeId, port: MessagePort, source: Uint8Array | undefined): void {
    if (source !== undefined) port.addPeerAddress?.(peer, source);
    this.add(peer, port);
  }

  /** Adds `peer`, reached through `port`; a known peer moves to `port`. */
  add(peer: NodeId, port: MessagePort): void {
    if (peer === this.#deps.self) return;
    const known = this.#peers.has(peer);
    if (!known && this.#peers.size >= this.#deps.maxPeers) return;
    this.#peers.set(peer, port);
    if (!known) this.#deps.up(peer);
  }

  /**
   * A transport saw `peer` come or go. Arrivals count only from address-free ports (an
   * address-needing one reports unauthenticated senders); a departure counts from the port the
   * peer is reached through, whatever its kind (a WebSocket hub's client hung up).
   */
  transportPeer(port: MessagePort, peer: NodeId, change: 'up' | 'down'): void {
    if (peer === this.#deps.self) return;
    if (change === 'down') {
      if (this.#peers.get(peer) === port && this.#peers.delete(peer)) this.#deps.down(peer);
      return;
    }
    if (port.addPeerAddress === undefined) this.add(peer, port);
  }

  /** Membership gossip (inside an authenticated message) named `peer`'s address. */
  learnAddress(peer: NodeId, address: Uint8Array): void {
    for (const port of this.#deps.ports) {
      if (port.addPeerAddress === undefined) continue;
      port.addPeerAddress(peer, address);
      if (!this.#peers.has(peer)) this.add(peer, port);
    }
  }

  /** Peers to gossip with: known peers that membership does not believe dead or gone. */
  live(): NodeId[] {
    const states = new Map(this.#deps.members().map((member) => [member.id, member.state]));
    return [...this.#peers.keys()].filter((peer) => {
      const state = states.get(peer);
      return state === undefined || state === 'alive' || state === 'suspect';
    });
  }
}
