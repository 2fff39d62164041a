import { type EntryProof, EventLog, type StreamEntry } from '../crdt/event-log.js';
import { type ChainHash, chainStep, sameChain } from '../crdt/stream-chain.js';
import type { NodeId } from '../ids/node-id.js';
import { nobleSha256, type Sha256 } from '../ports/sha256.js';
import type { StreamClock } from '../protocol/sync-messages.js';
import type { Lacking } from './synced-object.js';

/** Who asks for a plan, and when: lets a replica pace the resends a split history causes. */
export interface PlanAsker {
  readonly peer: NodeId;
  readonly now: number;
}

/** Most (peer, author) resend times remembered; the oldest is forgotten first. */
const MAX_RESENDS_REMEMBERED = 1024;

/**
 * Authors sign their stream at least every this many entries, and replicas keep the proofs at
 * these seqs: a long run sent in chunks then verifies a chunk or so at a time, not all at its end.
 */
export const PROOF_INTERVAL = 1024;

/**
 * How far beyond an author's shown entries one is kept waiting for a proof: honest proofs are at
 * most {@link PROOF_INTERVAL} apart, so this leaves room for chunks arriving out of order. An
 * entry further ahead is dropped; the next round brings it again.
 */
export const MAX_PENDING_AHEAD = 4 * PROOF_INTERVAL;

/** Most entries kept waiting for a proof in one stream, all authors together. */
export const MAX_PENDING = 4 * MAX_PENDING_AHEAD;

/**
 * Checks `proof` as `author`'s signature over its entries 1..`seq` whose chain hash is `chain`:
 * the key must be the author's, and the signature valid (ADR 0054). `undefined`: the author's
 * key is not known yet; the proof is kept to try again.
 */
export type ProofCheck = (
  author: NodeId,
  seq: number,
  chain: ChainHash,
  proof: EntryProof,
) => boolean | undefined;

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
  readonly log: EventLog;
  /**
   * Per author, the highest seq whose proof this replica holds and verified (or signed, for its
   * own entries once durable): what it offers peers, who could not verify entries beyond it.
   */
  readonly #proven = new Map<NodeId, number>();
  /** Per author, the proofs held, by seq: kept beside the log, whose entries carry none. */
  readonly #proofs = new Map<NodeId, Map<number, EntryProof>>();
  /** Per author, entries beyond the visible ones that no verified proof covers yet, by seq. */
  readonly #pending = new Map<NodeId, Map<number, StreamEntry>>();
  /** Per author, how many pending entries carry a proof: a run can only verify when some do. */
  readonly #pendingProofs = new Map<NodeId, number>();
  #pendingCount = 0;
  /** When a whole history of an author last went to a peer, by `peer author`. */
  readonly #resent = new Map<string, number>();

  readonly #sha256: Sha256;

  /** `sha256`: what chains are hashed with (default: pure JS). */
  constructor(
    private readonly resendInterval = 0,
    sha256: Sha256 = nobleSha256,
  ) {
    this.#sha256 = sha256;
    this.log = new EventLog({ sha256 });
  }

  /** Entries waiting for a proof. */
  get pending(): number {
    return this.#pendingCount;
  }

  /** The highest seq of `author` whose proof this replica holds (0 when none). */
  provenOf(author: NodeId): number {
    return this.#proven.get(author) ?? 0;
  }

  /** The proof held for `author`'s entries up to `seq`, if any. */
  proofOf(author: NodeId, seq: number): EntryProof | undefined {
    return this.#proofs.get(author)?.get(seq);
  }

  /**
   * Keeps a proof of `author`'s entries up to `seq` (signed here, or verified): they are offered
   * to peers up to the highest such seq, and sent with the proof.
   */
  keepProof(author: NodeId, seq: number, proof: EntryProof): void {
    let proofs = this.#proofs.get(author);
    if (proofs === undefined) {
      proofs = new Map();
      this.#proofs.set(author, proofs);
    }
    proofs.set(seq, proof);
    if (seq > (this.#proven.get(author) ?? 0)) this.#proven.set(author, seq);
  }

  /**
   * Forgets `author`'s proofs from `seq` on (its history there is being rewritten, ADR 0057);
   * returns the seqs whose proofs were dropped, for the caller to delete from storage.
   */
  dropProofsFrom(author: NodeId, seq: number): number[] {
    const proofs = this.#proofs.get(author);
    const dropped: number[] = [];
    let proven = 0;
    for (const at of proofs?.keys() ?? []) {
      if (at >= seq) dropped.push(at);
      else proven = Math.max(proven, at);
    }
    for (const at of dropped) proofs?.delete(at);
    this.#proven.set(author, proven);
    return dropped;
  }

  /** `author`'s entries waiting for a proof, from `seq` on while they run without a gap. */
  pendingRun(author: NodeId, seq: number): StreamEntry[] {
    const pending = this.#pending.get(author);
    const run: StreamEntry[] = [];
    for (let next = pending?.get(seq); next !== undefined; next = pending?.get(seq + run.length))
      run.push(next);
    return run;
  }

  /** Drops `author`'s waiting entries up to `seq` (taken into the log another way). */
  forgetPendingTo(author: NodeId, seq: number): void {
    for (const entry of [...(this.#pending.get(author)?.values() ?? [])])
      if (entry.seq <= seq) this.#forget(entry);
  }

  /** `entry` as sent to a peer: with the proof held for it, if any. */
  withProof(entry: StreamEntry): StreamEntry {
    const proof = this.#proofs.get(entry.author)?.get(entry.seq);
    return proof === undefined ? entry : { ...entry, proof };
  }

  /**
   * Keeps a remote entry beyond its author's shown ones until a proof covers it; false when it
   * is too far ahead or too many wait ({@link MAX_PENDING_AHEAD}, {@link MAX_PENDING}). A later
   * entry for the same seq takes its place (a forged one waiting there cannot block the real one).
   */
  hold(entry: StreamEntry): boolean {
    if (entry.seq > this.log.seqOf(entry.author) + MAX_PENDING_AHEAD) return false;
    let pending = this.#pending.get(entry.author);
    if (pending?.has(entry.seq) !== true && this.#pendingCount >= MAX_PENDING) return false;
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(entry.author, pending);
    }
    const previous = pending.get(entry.seq);
    if (previous === undefined) this.#pendingCount++;
    this.#countProof(entry.author, Number(entry.proof !== undefined) - Number(previous?.proof !== undefined));
    pending.set(entry.seq, entry);
    return true;
  }

  /**
   * Reveals the longest run of `author`'s pending entries, from its visible ones on, that a
   * proof in it covers: the run's chain is extended entry by entry and the last proof that
   * `check` accepts vouches for everything up to it. Proofs that fail are dropped (their entries
   * wait for another); proofs between are kept only at {@link PROOF_INTERVAL} seqs, verified.
   * Returns the entries made visible, in seq order.
   */
  advance(author: NodeId, check: ProofCheck): StreamEntry[] {
    const pending = this.#pending.get(author);
    if (pending === undefined || (this.#pendingProofs.get(author) ?? 0) === 0) return [];
    let seq = this.log.seqOf(author);
    let chain = this.log.chainHash(author);
    const run: StreamEntry[] = [];
    const chains: ChainHash[] = [];
    for (let next = pending.get(seq + 1); next !== undefined; next = pending.get(seq + 1)) {
      chain = chainStep(chain, next, this.#sha256);
      run.push(next);
      chains.push(chain);
      seq++;
    }
    let end = run.length - 1;
    for (; end >= 0; end--) {
      const entry = run[end] as StreamEntry;
      const proof = entry.proof;
      if (proof === undefined) continue;
      const valid = check(author, entry.seq, chains[end] as ChainHash, proof);
      if (valid === undefined) return [];
      if (valid) break;
      this.hold(withoutProof(entry));
    }
    if (end < 0) return [];
    const revealed: StreamEntry[] = [];
    for (let i = 0; i <= end; i++) {
      const entry = run[i] as StreamEntry;
      this.#forget(entry);
      const proof = entry.proof;
      // Hashed once, above: the log takes the chain as computed.
      const chain = chains[i] as ChainHash;
      if (proof === undefined) {
        this.log.apply(entry, chain);
        revealed.push(entry);
        continue;
      }
      const kept =
        i === end || (entry.seq % PROOF_INTERVAL === 0 && check(author, entry.seq, chain, proof) === true);
      // Kept before the entry shows: whoever stores or relays it on seeing it finds the proof.
      if (kept) this.keepProof(author, entry.seq, proof);
      this.log.apply(withoutProof(entry), chain);
      revealed.push(kept ? entry : withoutProof(entry));
    }
    return revealed;
  }

  #forget(entry: StreamEntry): void {
    const pending = this.#pending.get(entry.author);
    if (pending?.delete(entry.seq) !== true) return;
    this.#pendingCount--;
    if (entry.proof !== undefined) this.#countProof(entry.author, -1);
    if (pending.size === 0) this.#pending.delete(entry.author);
  }

  #countProof(author: NodeId, change: number): void {
    if (change === 0) return;
    const count = (this.#pendingProofs.get(author) ?? 0) + change;
    if (count === 0) this.#pendingProofs.delete(author);
    else this.#pendingProofs.set(author, count);
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
      if (seq <= known) continue;
      // Only the proofs a receiver keeps travel: the one ending the run (there is always one at
      // the offered seq) and those at proof intervals. The others would cost 96 bytes an entry
      // where every append was its own batch, for nothing.
      const proofs = this.#proofs.get(author);
      for (const entry of this.log.entriesAfter(author, known).slice(0, seq - known)) {
        const proof =
          entry.seq === seq || entry.seq % PROOF_INTERVAL === 0 ? proofs?.get(entry.seq) : undefined;
        entries.push(proof === undefined ? entry : { ...entry, proof });
      }
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

  /**
   * The seq of `author` peers are offered: up to the last proof held (own entries are signed
   * once durable, so this also keeps back own entries not durable yet).
   */
  #offered(author: NodeId): number {
    return Math.min(this.log.seqOf(author), this.#proven.get(author) ?? 0);
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

/** `entry` without its proof (one that failed, or one not worth keeping). */
function withoutProof(entry: StreamEntry): StreamEntry {
  const { proof: _proof, ...rest } = entry;
  return rest;
}
