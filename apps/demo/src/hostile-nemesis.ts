import type { NodeId, RandomPort } from '@shoal/core';
import type { Captured, ChaosRelay } from './chaos-relay.js';
import type { HostilePeer, HostileTarget } from './hostile-peer.js';

/** A live node as the hostile nemesis sees it. */
export interface HostileVictim {
  readonly name: string;
  /** Its index among the soak's nodes (its relay face). */
  readonly index: number;
  readonly target: HostileTarget;
  /** The highest seq of its own stream entries acknowledged so far (0 before any). */
  readonly head: number;
}

/** Fragments per flood: far more than a node keeps for one sender (64 incomplete messages). */
const FLOOD = 2000;
/** Entries forged ahead of an author's acknowledged head: its next second of writes. */
const FORGED_AHEAD = 5;
/** Captured datagrams replayed to a restarted node. */
const REPLAYED = 200;

/**
 * The soak's `hostile` fault: one round of a keyed peer's attacks (issue 14) on live nodes,
 * through {@link HostilePeer}. Each round picks a victim and sends it an incarnation bomb, a
 * range claim freezing another node's writes, a fragment flood, values over `maxValueBytes`,
 * lone-surrogate keys and entries a year ahead; forges the next entries of a third node's stream
 * to about half the others; and replays, to every node restarted since it was killed, what was
 * sent to it before (honest traffic the relay captured, and the hostile peer's own).
 *
 * What must hold after it is the soak's usual verdict; in addition, every node that got an
 * incarnation bomb must restart afterwards ({@link bombed}).
 */
export class HostileNemesis {
  readonly #peer: HostilePeer;
  readonly #relay: ChaosRelay;
  readonly #random: RandomPort;
  /** What was sent to each killed node before it died, until it is replayed to it. */
  readonly #beforeRestart = new Map<NodeId, { relay: readonly Captured[]; own: readonly Uint8Array[] }>();
  /** Nodes sent an incarnation bomb that have not restarted since. */
  readonly bombed = new Set<NodeId>();

  constructor(peer: HostilePeer, relay: ChaosRelay, random: RandomPort) {
    this.#peer = peer;
    this.#relay = relay;
    this.#random = random;
  }

  /** Call before killing node `index`: keeps what was sent to it, to replay once it is back. */
  killing(index: number, id: NodeId): void {
    this.#beforeRestart.set(id, { relay: this.#relay.capturedTo(index), own: this.#peer.sentTo(id) });
  }

  /** Call once node `id` restarted: it survived whatever it was sent before. */
  restarted(id: NodeId): void {
    this.bombed.delete(id);
  }

  /**
   * Runs one round against `live` (at least two nodes); returns the node that got the
   * incarnation bomb (to restart later) and what it did, for the log.
   */
  attack(live: readonly HostileVictim[]): { victim: HostileVictim; line: string } {
    const pick = (among: readonly HostileVictim[]) =>
      among[Math.floor(this.#random.next() * among.length)] as HostileVictim;
    const victim = pick(live);
    const others = live.filter((node) => node !== victim);
    const writer = pick(others);
    const author = pick(live);
    const peer = this.#peer;
    peer.incarnationBomb(victim.target);
    this.bombed.add(victim.target.id);
    peer.futureClaim(victim.target, writer.target.id);
    peer.fragmentFlood(victim.target, FLOOD);
    peer.oversizedValues(victim.target);
    peer.surrogateKeys(victim.target);
    peer.futureEntries(victim.target);
    const seqs = Array.from({ length: FORGED_AHEAD }, (_, i) => author.head + 1 + i);
    // About half the other nodes, and always one (live has two at least): a round that forged
    // to nobody would leave a short soak with no forgery to resolve.
    const candidates = live.filter((node) => node !== author);
    const forgedTo = candidates.filter(() => this.#random.next() < 0.5);
    if (forgedTo.length === 0) forgedTo.push(pick(candidates));
    for (const node of forgedTo) peer.forgeEntries(node.target, author.target.id, seqs);
    const replays: string[] = [];
    for (const node of live) {
      const captured = this.#beforeRestart.get(node.target.id);
      if (captured === undefined) continue;
      this.#beforeRestart.delete(node.target.id);
      const relayed = captured.relay.slice(-REPLAYED);
      this.#relay.resend(relayed);
      peer.countReplayed(relayed.length);
      peer.replay(node.target, captured.own);
      replays.push(`${relayed.length + captured.own.length} to ${node.name}`);
    }
    const line = [
      `hostile: ${victim.name} gets a ping at incarnation 2^53-1, a claim of ${writer.name}'s writes up to MAX_WALL,`,
      `${FLOOD} fragments, oversized values, lone-surrogate keys, entries a year ahead;`,
      `${author.name}'s entries ${seqs[0]}-${seqs.at(-1)} forged to {${forgedTo.map((node) => node.name).join(',')}}`,
    ].join(' ');
    const replayed = replays.length > 0 ? `; replayed after restart: ${replays.join(', ')}` : '';
    return { victim, line: line + replayed };
  }
}
