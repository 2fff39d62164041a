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

  /** The digest: per author, highest contiguous seq, sorted by author. */
  clocks(): Array<[NodeId, number]> {
    return [...this.log.versionVector()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Entries a peer with `remote` seqs lacks, for authors in [`from`, `to`), in (author, seq) order. */
  planDelta(remote: ReadonlyMap<NodeId, number>, from: string, to: string | null): StreamEntry[] {
    const entries: StreamEntry[] = [];
    for (const [author, seq] of this.clocks()) {
      if (author < from || (to !== null && author >= to)) continue;
      const known = remote.get(author) ?? 0;
      if (seq > known) entries.push(...this.log.entriesAfter(author, known));
    }
    return entries;
  }
}
