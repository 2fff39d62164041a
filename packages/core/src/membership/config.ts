import { ErrorCode, ShoalError } from '../errors/shoal-error.js';

/**
 * Every knob of SWIM membership with Lifeguard. All durations are milliseconds of
 * `TimerPort.monotonic()` time. Get one from {@link lanConfig}, {@link wanConfig} or
 * {@link localConfig}; each accepts overrides, and a knob derived from another (probe timeout
 * from probe interval, leave timeout from probe interval) follows an override of the knob it
 * derives from unless it is overridden itself. Overriding a knob never disables Lifeguard's
 * adaptivity: awareness and suspicion scale whatever base values are set.
 */
export interface MembershipConfig {
  /**
   * Base period of the failure detector (SWIM §3.1 "protocol period" T'). One member is probed
   * per period, so a crashed member is first probed after about one period in expectation.
   * Scaled by the Local Health Multiplier (Lifeguard §4.1): actual = probeInterval × (score+1).
   */
  readonly probeInterval: number;
  /**
   * How long to wait for a direct ack before asking `indirectChecks` others (SWIM §3.1). Must
   * be below `probeInterval` so indirect probes fit in the period; should exceed the network's
   * round-trip time at the 99th percentile. Scaled like `probeInterval`.
   */
  readonly probeTimeout: number;
  /** k, the number of members asked to probe a target indirectly after a missed ack (SWIM §3.1). */
  readonly indirectChecks: number;
  /**
   * α in the suspicion timeout. The minimum suspicion timeout is
   * `suspicionMult × max(1, log10(N)) × probeInterval` (memberlist's formula, SWIM §4.2 with
   * Lifeguard §4.2); larger tolerates slower refutation at the cost of slower detection.
   * It also sets the independent confirmations Lifeguard waits for: `suspicionMult - 2`.
   */
  readonly suspicionMult: number;
  /**
   * β: the suspicion timeout starts at `suspicionMaxTimeoutMult × minimum` and shrinks
   * logarithmically toward the minimum as confirmations arrive (Lifeguard §4.2).
   */
  readonly suspicionMaxTimeoutMult: number;
  /**
   * S, the cap of the Local Health Multiplier (Lifeguard §4.1): probe interval and timeout are
   * scaled by at most this factor when this node believes itself unhealthy.
   */
  readonly awarenessMaxMultiplier: number;
  /**
   * λ: each gossip update is piggybacked at most `retransmitMult × ceil(log10(N+1))` times
   * (SWIM §4.1 infection-style dissemination; memberlist's TransmitLimitedQueue).
   */
  readonly retransmitMult: number;
  /**
   * Period of the gossip round (memberlist's GossipInterval): when updates are queued, a `gossip`
   * message carrying them as piggyback goes to `gossipFanout` random live members. Dissemination
   * then takes O(log N) gossip rounds (SWIM §4.1) even when the host sends nothing else, and
   * refutations outrun suspicion timeouts under loss.
   */
  readonly gossipInterval: number;
  /** Members each gossip round sends to (memberlist's GossipNodes). */
  readonly gossipFanout: number;
  /**
   * Period of the anti-entropy exchange of full member lists with one random live member
   * (memberlist's push/pull), which repairs gossip lost beyond its retransmit limit.
   */
  readonly pushPullInterval: number;
  /** Upper bound on a push-pull message body; members beyond it are sampled at random. */
  readonly pushPullMaxBytes: number;
  /**
   * Period of the reconnect attempt (Serf's reconnect): one push-pull with a random dead member
   * or with a seed that is not alive. This is how a healed partition merges again: the other side
   * learns it was declared dead, refutes, and its alive update spreads.
   */
  readonly reconnectInterval: number;
  /** How long a dead or left member is remembered (and retried, if dead) before it is forgotten. */
  readonly tombstoneTimeout: number;
  /**
   * Relative jitter applied to every periodic timer: a period P fires after
   * P × (1 ± jitter/2), so members do not synchronise their probes and push-pulls.
   */
  readonly jitter: number;
  /**
   * A leaf (a WebSocket hub's client, ADR 0022) takes part in no one's member list: it never
   * announces itself (no alive or refutation update, not in its own push-pull lists) and does
   * not count itself for `leader()`. It still probes (every {@link LEAF_PROBE_INTERVAL} ms
   * unless `probeInterval` is set) and push-pulls the members it knows, so it learns the group. A full member that receives a push-pull not listing its sender marks
   * the sender a leaf: it is not pushed to again, retried as a seed, nor gossiped about. So a
   * thousand clients of a hub cost the group nothing in gossip. Default false.
   */
  readonly leaf: boolean;
}

/** Overrides for a preset: any subset of {@link MembershipConfig}. */
export type MembershipConfigOverrides = Partial<MembershipConfig>;

interface Preset {
  readonly base: Omit<MembershipConfig, 'probeTimeout'>;
  /** probeTimeout = probeTimeoutRatio × probeInterval unless overridden. */
  readonly probeTimeoutRatio: number;
}

// memberlist's DefaultLANConfig: ProbeInterval 1 s, ProbeTimeout 500 ms, SuspicionMult 4.
const LAN: Preset = {
  base: {
    probeInterval: 1000,
    indirectChecks: 3,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    awarenessMaxMultiplier: 8,
    retransmitMult: 4,
    gossipInterval: 200,
    gossipFanout: 3,
    pushPullInterval: 30_000,
    pushPullMaxBytes: 1000,
    reconnectInterval: 10_000,
    tombstoneTimeout: 24 * 3600_000,
    jitter: 0.2,
    leaf: false,
  },
  probeTimeoutRatio: 0.5,
};

// memberlist's DefaultWANConfig: ProbeInterval 5 s, ProbeTimeout 3 s, SuspicionMult 6.
const WAN: Preset = {
  base: {
    ...LAN.base,
    probeInterval: 5000,
    suspicionMult: 6,
    gossipInterval: 500,
    gossipFanout: 4,
    pushPullInterval: 60_000,
    reconnectInterval: 30_000,
  },
  probeTimeoutRatio: 0.6,
};

// memberlist's DefaultLocalConfig: ProbeInterval 1 s, ProbeTimeout 200 ms, SuspicionMult 3.
const LOCAL: Preset = {
  base: {
    ...LAN.base,
    suspicionMult: 3,
    retransmitMult: 2,
    gossipInterval: 100,
    pushPullInterval: 15_000,
    reconnectInterval: 5000,
  },
  probeTimeoutRatio: 0.2,
};

/**
 * A leaf's probe period unless set: a leaf probes only its hubs, whose transport already
 * watches the link (a WebSocket heartbeat), so probing them often would only cost the client
 * traffic (ADR 0022, idle traffic in docs/benchmarks.md). A probe still times out as fast as
 * the preset's: the period is about traffic, not about how slow the link is.
 */
export const LEAF_PROBE_INTERVAL = 30_000;

/**
 * A leaf's push-pull period unless set: its member list is empty (it lists nobody, not even
 * itself) and news of the hubs reaches it piggybacked on every exchange, so the full-state
 * exchange only repairs what gossip missed.
 */
export const LEAF_PUSH_PULL_INTERVAL = 60_000;

function build(preset: Preset, overrides: MembershipConfigOverrides): MembershipConfig {
  const base = preset.base;
  const leaf =
    overrides.leaf === true
      ? {
          probeInterval: Math.max(base.probeInterval, LEAF_PROBE_INTERVAL),
          pushPullInterval: Math.max(base.pushPullInterval, LEAF_PUSH_PULL_INTERVAL),
        }
      : {};
  const merged = { ...base, ...leaf, ...overrides };
  // A leaf's longer period does not lengthen its probe timeout (unless its period was set).
  const timeoutBase = overrides.probeInterval ?? base.probeInterval;
  const config: MembershipConfig = {
    ...merged,
    probeTimeout: overrides.probeTimeout ?? timeoutBase * preset.probeTimeoutRatio,
  };
  validateConfig(config);
  return config;
}

/** Defaults for a LAN (memberlist's DefaultLANConfig): 1 s probes, 500 ms timeout. */
export function lanConfig(overrides: MembershipConfigOverrides = {}): MembershipConfig {
  return build(LAN, overrides);
}

/** Defaults for a WAN or the internet (memberlist's DefaultWANConfig): 5 s probes, 3 s timeout. */
export function wanConfig(overrides: MembershipConfigOverrides = {}): MembershipConfig {
  return build(WAN, overrides);
}

/** Defaults for loopback / one host (memberlist's DefaultLocalConfig): 1 s probes, 200 ms timeout. */
export function localConfig(overrides: MembershipConfigOverrides = {}): MembershipConfig {
  return build(LOCAL, overrides);
}

/**
 * Throws {@link ShoalError} `INVALID_ARGUMENT` unless every field is in range: positive
 * durations, `probeTimeout < probeInterval`, integer counts, `jitter` in [0, 1).
 */
export function validateConfig(config: MembershipConfig): void {
  const positive: (keyof MembershipConfig)[] = [
    'probeInterval',
    'probeTimeout',
    'gossipInterval',
    'pushPullInterval',
    'reconnectInterval',
    'tombstoneTimeout',
  ];
  for (const key of positive) {
    const value = config[key] as number;
    if (!(Number.isFinite(value) && value > 0)) invalid(`${key} must be a positive number, got ${value}`);
  }
  if (config.probeTimeout >= config.probeInterval) invalid('probeTimeout must be below probeInterval');
  const integers: [keyof MembershipConfig, number][] = [
    ['indirectChecks', 0],
    ['gossipFanout', 0],
    ['suspicionMult', 1],
    ['suspicionMaxTimeoutMult', 1],
    ['awarenessMaxMultiplier', 1],
    ['retransmitMult', 1],
    ['pushPullMaxBytes', 64],
  ];
  for (const [key, min] of integers) {
    const value = config[key] as number;
    if (!(Number.isInteger(value) && value >= min))
      invalid(`${key} must be an integer ≥ ${min}, got ${value}`);
  }
  if (!(config.jitter >= 0 && config.jitter < 1)) invalid(`jitter must be in [0, 1), got ${config.jitter}`);
}

function invalid(message: string): never {
  throw new ShoalError(ErrorCode.InvalidArgument, `invalid membership config: ${message}`);
}
