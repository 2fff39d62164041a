import type { NodeId } from '../ids/node-id.js';

/**
 * A change in this node's view of the group. `joined`: a member appeared, or came back from dead
 * or left with a higher incarnation. `suspect` / `alive`: suspicion started / was refuted. `dead`:
 * a failure verdict. `left`: a graceful leave. `leader-changed`: {@link Membership.leader}
 * now returns `peer`.
 */
export interface MembershipEvent {
  readonly type: 'joined' | 'suspect' | 'alive' | 'dead' | 'left' | 'leader-changed';
  readonly peer: NodeId;
  readonly incarnation: number;
}

/** Counters since construction, for health pages and benchmarks. All monotonically increasing but `awareness`. */
export interface MembershipStats {
  /** Direct pings sent as the prober (SWIM §3.1). */
  readonly probesSent: number;
  /** Acks received, direct or forwarded. */
  readonly acksReceived: number;
  /** Nacks received from ping-req helpers (Lifeguard §4.1). */
  readonly nacksReceived: number;
  /** Ping-req messages sent after a missed direct ack. */
  readonly pingReqsSent: number;
  /** Push-pull requests sent (join, periodic anti-entropy, reconnect). */
  readonly pushPullsSent: number;
  /** Suspicions this node entered, whoever raised them. */
  readonly suspicions: number;
  /** Times this node refuted a suspicion of itself. */
  readonly refutations: number;
  /** Members this node's own suspicion timer declared dead. */
  readonly deathsDeclared: number;
  /** Membership messages handed to `send`, and their body bytes. */
  readonly messagesSent: number;
  readonly bytesSent: number;
  /** Gossip bytes handed out through `takePiggyback`. */
  readonly piggybackBytes: number;
  /** Inbound bodies or piggybacks dropped because they did not decode or were misaddressed. */
  readonly dropped: number;
  /** The current Local Health Multiplier score (Lifeguard §4.1), 0 when healthy. */
  readonly awareness: number;
}

/** A {@link MembershipStats} of zeros: where counting starts, and what no SWIM reports. */
export function zeroMembershipStats(): MembershipStats {
  return {
    probesSent: 0,
    acksReceived: 0,
    nacksReceived: 0,
    pingReqsSent: 0,
    pushPullsSent: 0,
    suspicions: 0,
    refutations: 0,
    deathsDeclared: 0,
    messagesSent: 0,
    bytesSent: 0,
    piggybackBytes: 0,
    dropped: 0,
    awareness: 0,
  };
}
