import { EventLog, type StreamEntry } from '../crdt/event-log.js';
import type { NodeId } from '../ids/node-id.js';

/**
 * An event log plus its digest: per author, the highest contiguous seq held (a version
 * vector). Every seq below it is held, so the answer to a digest is simply each author's
 * entries after the asker's seq; a lost chunk leaves a gap that the log holds entries behind
 * until the next round fills it.
 */
export class StreamReplica {
  readonly log = new EventLog();
  /** Own entries above this seq are not durable yet: they are not offered to peers. */
  #withheld: { author: NodeId; after: number } | undefined;

  /** Withholds `author`'s entries above seq `after` from every plan and digest (see MapReplica). */
  withholdAfter(author: NodeId, after: number): void {
    this.#withheld = { author, after };
  }

  /** The digest: per author, highest contiguous seq, sorted by author. */
  clocks(): Array<[NodeId, number]> {
    const withheld = this.#withheld;
    return [...this.log.versionVector()]
      .map(([author, seq]): [NodeId, number] =>
        withheld !== undefined && author === withheld.author
          ? [author, Math.min(seq, withheld.after)]
          : [author, seq],
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Entries a peer with `remote` seqs lacks, for authors in [`from`, `to`), in (author, seq) order. */
  planDelta(remote: ReadonlyMap<NodeId, number>, from: string, to: string | null): StreamEntry[] {
    const entries: StreamEntry[] = [];
    for (const [author, seq] of this.clocks()) {
      if (author < from || (to !== null && author >= to)) continue;
      const known = remote.get(author) ?? 0;
      if (seq > known) entries.push(...this.log.entriesAfter(author, known).slice(0, seq - known));
    }
    return entries;
  }
}
