import type { NodeId } from '../ids/node-id.js';
import type { MemberInfo } from '../membership/member-state.js';
import type { Membership } from '../membership/membership.js';
import {
  type MembershipEvent,
  type MembershipStats,
  zeroMembershipStats,
} from '../membership/membership-events.js';

const NO_MEMBERSHIP_STATS: MembershipStats = zeroMembershipStats();

/** What the node uses of membership: SWIM ({@link Membership}) or {@link PeerListMembership}. */
export type MembershipService = Pick<
  Membership,
  | 'start'
  | 'stop'
  | 'leave'
  | 'aliveMembers'
  | 'addSeed'
  | 'noteAlive'
  | 'handleMessage'
  | 'handlePiggyback'
  | 'takePiggyback'
  | 'members'
  | 'leader'
  | 'onEvent'
  | 'stats'
>;

/**
 * Membership without SWIM (`membership: false`): the members are this node and the peers the
 * transports report or the user adds, all taken as alive until a transport reports them down.
 * Nothing is probed or gossiped, so a plain two-party sync sends sync messages only. Membership
 * messages from SWIM peers are ignored. The leader is the greatest live id, as with SWIM.
 */
export class PeerListMembership implements MembershipService {
  readonly #self: NodeId;
  readonly #peers = new Set<NodeId>();
  readonly #handlers = new Set<(event: MembershipEvent) => void>();
  readonly #isPeer: (peer: NodeId) => boolean;
  #leader: NodeId;

  /** @param isPeer whether the node still reaches `peer` (its transports have not reported it down). */
  constructor(self: NodeId, isPeer: (peer: NodeId) => boolean) {
    this.#self = self;
    this.#leader = self;
    this.#isPeer = isPeer;
  }

  start(): void {}

  stop(): void {}

  leave(): Promise<void> {
    return Promise.resolve();
  }

  /** The known peers the node still reaches. */
  aliveMembers(): NodeId[] {
    return [...this.#peers].filter((peer) => this.#isPeer(peer));
  }

  addSeed(peer: NodeId): void {
    if (peer === this.#self || this.#peers.has(peer)) return;
    this.#peers.add(peer);
    this.#emit({ type: 'joined', peer, incarnation: 0 });
    this.#updateLeader();
  }

  noteAlive(): void {}

  handleMessage(): void {}

  handlePiggyback(): void {}

  takePiggyback(): undefined {
    return undefined;
  }

  members(): MemberInfo[] {
    const live = new Set(this.aliveMembers());
    return [
      { id: this.#self, state: 'alive', incarnation: 0 },
      ...[...this.#peers].map(
        (id): MemberInfo => ({ id, state: live.has(id) ? 'alive' : 'left', incarnation: 0 }),
      ),
    ];
  }

  /** Nothing is probed without SWIM: every counter stays 0. */
  stats(): MembershipStats {
    return NO_MEMBERSHIP_STATS;
  }

  leader(): NodeId {
    this.#updateLeader();
    return this.#leader;
  }

  onEvent(handler: (event: MembershipEvent) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  #updateLeader(): void {
    let leader = this.#self;
    for (const peer of this.aliveMembers()) if (peer > leader) leader = peer;
    if (leader === this.#leader) return;
    this.#leader = leader;
    this.#emit({ type: 'leader-changed', peer: leader, incarnation: 0 });
  }

  #emit(event: MembershipEvent): void {
    for (const handler of [...this.#handlers]) handler(event);
  }
}
