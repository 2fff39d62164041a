import type { NodeId } from '@shoal/core';
import type { UdpAddress } from './address/udp-address.js';

/**
 * Who the transport may send to, and whom it has heard from.
 *
 * Addresses enter only through {@link PeerTable.setAddress}, which core calls after
 * authenticating; a datagram's claimed sender never adds an address. The "heard from" set
 * is fed by unauthenticated datagrams, so it is bounded: past `maxSeen` ids the oldest is
 * forgotten (it may then be reported `up` again, which is harmless for a hint).
 */
export class PeerTable {
  readonly #addresses = new Map<NodeId, UdpAddress>();
  readonly #seen = new Set<NodeId>();
  readonly #maxSeen: number;

  constructor(maxSeen: number) {
    this.#maxSeen = maxSeen;
  }

  /** Number of peers with a known address. */
  get size(): number {
    return this.#addresses.size;
  }

  /** Records where `peer` is reachable, replacing any earlier address. */
  setAddress(peer: NodeId, address: UdpAddress): void {
    this.#addresses.set(peer, address);
  }

  /** Where `peer` is reachable, if known. */
  address(peer: NodeId): UdpAddress | undefined {
    return this.#addresses.get(peer);
  }

  /** Marks `peer` as heard from; true only the first time (within the bound). */
  markSeen(peer: NodeId): boolean {
    if (this.#seen.has(peer)) return false;
    if (this.#seen.size >= this.#maxSeen) {
      const oldest = this.#seen.values().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    this.#seen.add(peer);
    return true;
  }

  /** Every peer heard from (within the bound), oldest first. */
  seen(): NodeId[] {
    return [...this.#seen];
  }

  /** Forgets `peer`'s address and that it was heard from. */
  remove(peer: NodeId): void {
    this.#addresses.delete(peer);
    this.#seen.delete(peer);
  }
}
