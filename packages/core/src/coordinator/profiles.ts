import { lanConfig, localConfig, type MembershipConfig, wanConfig } from '../membership/config.js';
import type { CoordinatorConfigInput } from './config.js';

/** Timing presets for the network a node runs on. */
export type Profile = 'lan' | 'wan' | 'local';

/** The membership and sync timing of each {@link Profile}. */
export interface ProfileSettings {
  readonly membership: (overrides?: Partial<MembershipConfig>) => MembershipConfig;
  readonly sync: Pick<CoordinatorConfigInput, 'gossipInterval'>;
}

/**
 * - `lan` (default): round trips of a few ms, some loss. SWIM per {@link lanConfig} (1 s
 *   probes, 500 ms probe timeout); an anti-entropy round every 200 ms, so a lost push is
 *   repaired in about 0.2 s and an idle channel backs off to 1.6 s (8 × the interval).
 * - `wan`: round trips of 50-300 ms across networks, hubs. SWIM per {@link wanConfig} (5 s
 *   probes, 3 s timeout: the timeout must exceed the p99 round trip); a round every 1 s, since a
 *   round that outlives a round trip only repeats itself (idle: 8 s).
 * - `local`: processes on one host. SWIM per {@link localConfig} (1 s probes, 200 ms timeout);
 *   a round every 100 ms (idle: 0.8 s).
 *
 * `pullTimeout` follows `gossipInterval` (1 ×) and `idleGossipInterval` (8 ×) unless set.
 */
export const PROFILES: Readonly<Record<Profile, ProfileSettings>> = Object.freeze({
  lan: { membership: lanConfig, sync: { gossipInterval: 200 } },
  wan: { membership: wanConfig, sync: { gossipInterval: 1000 } },
  local: { membership: localConfig, sync: { gossipInterval: 100 } },
});
