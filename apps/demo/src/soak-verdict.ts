/** What one replica held at the end of a soak (a node's `state` dump). */
export interface ReplicaState {
  readonly keys: readonly string[];
  /** Stream entries as `<author>#<seq>=<payload>`. */
  readonly entries: readonly string[];
}

/** The writes the soak's writers acknowledged (durable on their writer). */
export interface Acknowledged {
  /** Map keys. */
  readonly keys: ReadonlySet<string>;
  /** Stream entries: payload by `<author>#<seq>`. */
  readonly entries: ReadonlyMap<string, string>;
}

/** How replicas that are not identical differ. */
export interface Divergence {
  /** Map keys some replica lacks. */
  readonly keys: number;
  /** Stream slots (author and seq) some replica lacks. */
  readonly slots: number;
  /** Slots held with different payloads on different replicas. */
  readonly conflicting: number;
  /** Of those, slots where some replica holds an entry the hostile peer forged. */
  readonly forged: number;
}

/** The soak's verdict over all replicas. */
export interface Verdict {
  /** Acknowledged writes missing from a replica, summed over replicas: must be 0. */
  readonly lost: number;
  /**
   * Acknowledged stream entries whose slot (author and seq) a replica holds with another
   * payload, summed over replicas: the entry is there, but a forgery in its author's name holds
   * its place on that replica. A keyed peer can do that until nodes sign their entries
   * (issue 21); not a loss of the protocol's.
   */
  readonly conflictsLost: number;
  /** True when every replica holds the same keys and the same stream entries, payloads included. */
  readonly identical: boolean;
  readonly divergence: Divergence;
  /** Per replica, the first acknowledged writes it lacks. */
  readonly missing: ReadonlyMap<string, readonly string[]>;
}

/** Payloads of the hostile peer's forgeries start so (`HostilePeer.forgeEntries`). */
const FORGED = 'forged:';

/**
 * Judges the replicas (by node name) against what was acknowledged. A stream entry counts as
 * present on a replica when it holds an entry with the same author and seq, whatever its payload
 * (see {@link Verdict.conflictsLost}).
 */
export function judge(acknowledged: Acknowledged, replicas: ReadonlyMap<string, ReplicaState>): Verdict {
  let lost = 0;
  let conflictsLost = 0;
  const missing = new Map<string, string[]>();
  const keyCounts = new Map<string, number>();
  const slotPayloads = new Map<string, Set<string>>();
  const slotCounts = new Map<string, number>();
  for (const [name, state] of replicas) {
    const keys = new Set(state.keys);
    const slots = new Map(state.entries.map(splitEntry));
    const lacks = [...acknowledged.keys].filter((key) => !keys.has(key));
    for (const [slot, payload] of acknowledged.entries) {
      const held = slots.get(slot);
      if (held === undefined) lacks.push(`stream:${slot}=${payload}`);
      else if (held !== payload) conflictsLost++;
    }
    lost += lacks.length;
    missing.set(name, lacks.slice(0, 20));
    for (const key of keys) keyCounts.set(key, (keyCounts.get(key) ?? 0) + 1);
    for (const [slot, payload] of slots) {
      slotCounts.set(slot, (slotCounts.get(slot) ?? 0) + 1);
      const payloads = slotPayloads.get(slot) ?? new Set();
      payloads.add(payload);
      slotPayloads.set(slot, payloads);
    }
  }
  const everywhere = (counts: Map<string, number>) =>
    [...counts.values()].filter((count) => count === replicas.size).length;
  const conflicts = [...slotPayloads.values()].filter((payloads) => payloads.size > 1);
  const divergence: Divergence = {
    keys: keyCounts.size - everywhere(keyCounts),
    slots: slotCounts.size - everywhere(slotCounts),
    conflicting: conflicts.length,
    forged: conflicts.filter((payloads) => [...payloads].some((payload) => payload.startsWith(FORGED)))
      .length,
  };
  const identical = divergence.keys === 0 && divergence.slots === 0 && divergence.conflicting === 0;
  return { lost, conflictsLost, identical, divergence, missing };
}

/** `<author>#<seq>=<payload>` as [`<author>#<seq>`, payload] (payloads may hold `=`). */
function splitEntry(entry: string): [string, string] {
  const at = entry.indexOf('=');
  return [entry.slice(0, at), entry.slice(at + 1)];
}
