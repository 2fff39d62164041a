import type { NodeId } from '../ids/node-id.js';

/**
 * What this node believes about a member. `left` is a graceful departure and never a failure;
 * `dead` is a failure verdict that a higher incarnation of the same member overrides.
 */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** One row of {@link Coordinator.members}. */
export interface MemberInfo {
  readonly id: NodeId;
  readonly state: MemberState;
  /** The member's own counter; only it raises it, to refute suspicion or to rejoin (SWIM §4.2). */
  readonly incarnation: number;
  /** The opaque transport address it announced, when it announced one. */
  readonly address?: Uint8Array;
  /**
   * Its Ed25519 public key, once a pair-sealed message from it proved it holds the secret half
   * (`node.members()` only; absent in open mode and before first contact).
   */
  readonly publicKey?: Uint8Array;
}

/**
 * A gossip update about one member: the unit SWIM disseminates (§4.1). `from` names the member
 * that accused (suspect) or declared (dead) it, so Lifeguard can count independent
 * confirmations (§4.2).
 */
export type MemberUpdate =
  | {
      readonly kind: 'alive';
      readonly node: NodeId;
      readonly incarnation: number;
      readonly address?: Uint8Array;
    }
  | { readonly kind: 'suspect'; readonly node: NodeId; readonly incarnation: number; readonly from: NodeId }
  | { readonly kind: 'dead'; readonly node: NodeId; readonly incarnation: number; readonly from: NodeId }
  | { readonly kind: 'left'; readonly node: NodeId; readonly incarnation: number };

/**
 * The largest incarnation a member may have (memberlist's uint32). Decoders refuse larger ones,
 * so no packet can push a node's persisted incarnation out of what it can read back.
 */
export const MAX_INCARNATION = 2 ** 32 - 1;

/**
 * How far above its own incarnation a node refutes an accusation. A node that lost its state
 * may be accused a few incarnations above the one it restarted with; one accused millions
 * above is being attacked (only the member itself ever raises its incarnation), and refuting
 * would burn its incarnation space.
 */
export const MAX_INCARNATION_JUMP = 2 ** 16;

/** Numeric wire code of each state. Part of the protocol: only append. */
export const STATE_CODES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

/**
 * Whether `update` overrides what is known as `current` (SWIM §4.2 precedence, memberlist's
 * aliveNode/suspectNode/deadNode rules):
 * - alive(i) overrides anything with incarnation < i (including dead and left: a rejoin);
 * - suspect(i) overrides alive(j ≤ i) and suspect(j < i);
 * - dead(i) overrides alive or suspect with j ≤ i, and dead(j < i);
 * - left(i) overrides alive, suspect or dead with j ≤ i, and left(j < i).
 * An unknown member is learnt only from an alive update: a suspect, dead or left stranger is
 * nothing to track.
 */
export function overrides(current: MemberInfo | undefined, update: MemberUpdate): boolean {
  if (current === undefined) return update.kind === 'alive';
  const i = update.incarnation;
  const j = current.incarnation;
  switch (update.kind) {
    case 'alive':
      return i > j;
    case 'suspect':
      return current.state === 'alive' ? i >= j : current.state === 'suspect' ? i > j : false;
    case 'dead':
      return current.state === 'alive' || current.state === 'suspect'
        ? i >= j
        : current.state === 'dead' && i > j;
    case 'left':
      return current.state === 'left' ? i > j : i >= j;
  }
}
