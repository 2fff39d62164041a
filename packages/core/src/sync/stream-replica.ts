import { EventLog, type StreamEntry } from '../crdt/event-log.js';
import { sameChain } from '../crdt/stream-chain.js';
import type { NodeId } from '../ids/node-id.js';
import type { StreamClock } from '../protocol/sync-messages.js';
import { appendAll } from './append-all.js';
import type { Lacking } from './synced-object.js';

/** Who asks for a plan, and when: lets a replica pace the resends a split history causes. */
export interface PlanAsker {
  readonly peer: NodeId;
  readonly now: number;
}

/** Most (peer, author) resend times remembered; the oldest is forgotten first. */
const MAX_RESENDS_REMEMBERED = 1024;

/**
 * An event log plus its digest: per author, the highest contiguous seq held (a version vector)
 * and the fingerprint of those entries. Every seq below it is held, so the answer to a digest is
 * each author's entries after the asker's seq; a lost chunk leaves a gap that the log holds
 * entries behind until the next round fills it.
 *
 * When the asker's fingerprint at its seq differs from ours at the same seq, the two hold
 * different entries somewhere below it (a forged or equivocated entry): the answer then carries
 * every entry of that author we offer, so the asker meets the conflict and resolves it the way
 * every replica does ({@link EventLog}); the asker's own answer to our digest brings its entries
 * here alike. Such a resend goes to one peer for one author at most once per `resendInterval`,
 * so a peer advertising false fingerprints cannot make us send a whole history every round.
 */
export class StreamReplica {
  readonly log = new EventLog();
  /** Own entries above this seq are not durable yet: they are not offered to peers. */
  #withheld: { author: NodeId; after: number } | undefined;
  /** When a whole history of an author last went to a peer, by `peer author`. */
  readonly #resent = new Map<string, number>();

  constructor(private readonly resendInterval = 0) {}

  /** Withholds `author`'s entries above seq `after` from every plan and digest (see MapReplica). */
  withholdAfter(author: NodeId, after: number): void {
    this.#withheld = { author, after };
  }

  /** The digest: per author, highest contiguous seq offered and its fingerprint, sorted by author. */
  clocks(): Array<[NodeId, StreamClock]> {
    return [...this.log.authors()]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((author): [NodeId, StreamClock] => {
        const seq = this.#offered(author);
        return [author, { seq, chain: this.log.chainAt(author, seq) }];
      });
  }

  /**
   * Entries a peer with `remote` clocks lacks, for authors in [`from`, `to`), in (author, seq)
   * order; for an author whose history differs from the peer's, all we offer of it (paced per
   * `asker`; without one, as when sizing what a peer lacks, always).
   */
  planDelta(
    remote: ReadonlyMap<NodeId, StreamClock>,
    from: string,
    to: string | null,
    asker?: PlanAsker,
  ): StreamEntry[] {
    const entries: StreamEntry[] = [];
    for (const author of [...this.log.authors()].sort()) {
      if (author < from || (to !== null && author >= to)) continue;
      const seq = this.#offered(author);
      const clock = remote.get(author);
      const known = clock === undefined || this.#splits(author, seq, clock, asker) ? 0 : clock.seq;
      if (seq > known) appendAll(entries, this.log.entriesAfter(author, known).slice(0, seq - known));
    }
    return entries;
  }

  /**
   * The entries a peer with `remote` clocks holds that this replica lacks; a history that
   * differs from ours counts as one (pulling from that peer brings it).
   */
  lacking(remote: ReadonlyArray<readonly [NodeId, StreamClock]>): Lacking {
    let entries = 0;
    for (const [author, clock] of remote) {
      const ours = this.log.seqOf(author);
      const splits =
        clock.chain !== undefined &&
        clock.seq > 0 &&
        clock.seq <= ours &&
        !sameChain(clock.chain, this.log.chainAt(author, clock.seq));
      entries += splits ? 1 : Math.max(0, clock.seq - ours);
    }
    return { entries, writers: 0 };
  }

  /** The seq of `author` peers are offered: all held, but not own entries not yet durable. */
  #offered(author: NodeId): number {
    const seq = this.log.seqOf(author);
    const withheld = this.#withheld;
    return withheld !== undefined && author === withheld.author ? Math.min(seq, withheld.after) : seq;
  }

  /** True when the peer's history of `author` differs from ours and is due a resend. */
  #splits(author: NodeId, offered: number, clock: StreamClock, asker: PlanAsker | undefined): boolean {
    if (clock.chain === undefined || clock.seq > offered || clock.seq === 0) return false;
    if (sameChain(clock.chain, this.log.chainAt(author, clock.seq))) return false;
    if (asker === undefined) return true;
    const key = `${asker.peer} ${author}`;
    const last = this.#resent.get(key);
    if (last !== undefined && asker.now - last < this.resendInterval) return false;
    this.#resent.delete(key);
    this.#resent.set(key, asker.now);
    if (this.#resent.size > MAX_RESENDS_REMEMBERED)
      this.#resent.delete(this.#resent.keys().next().value as string);
    return true;
  }
}
