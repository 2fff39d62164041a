import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import {
  type EntryProof,
  type MaterializedView,
  type Materializer,
  precedesInConflict,
  type StreamEntry,
  sameEntry,
} from '../crdt/event-log.js';
import { type ChainHash, chainStep, sameChain } from '../crdt/stream-chain.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { deleteStreamProof, putStreamEntry, putStreamProof } from '../persistence/entry-puts.js';
import { RecordKind, StreamEntryKeys } from '../persistence/storage-keys.js';
import type { ObjectDelta, StreamClock } from '../protocol/sync-messages.js';
import { streamProofMessage } from '../security/stream-proofs.js';
import { appendAll } from '../sync/append-all.js';
import type { Clock } from '../sync/clock-set.js';
import type { ObjectPlan } from '../sync/delta-chunker.js';
import {
  MAX_PENDING,
  MAX_PENDING_AHEAD,
  type PlanAsker,
  PROOF_INTERVAL,
  StreamReplica,
} from '../sync/stream-replica.js';
import type { Lacking, SyncedObject } from '../sync/synced-object.js';
import { AsyncQueue } from './async-queue.js';
import { isAuthorSignature } from './author-signature.js';
import type { ChannelState } from './channel-state.js';
import { DurableBatches } from './durable-batches.js';
import { callListeners, checkListener } from './listeners.js';
import type { NodeContext } from './node-context.js';
import type { WatchOptions } from './shared-map.js';
import type { TransactionTarget } from './transaction.js';

/** Rounds between two resends of one author's whole history to one peer whose history differs. */
const RESEND_ROUNDS = 10;

/** One entry seen by {@link SharedStream.watch}, with the cursor to resume after it. */
export interface StreamWatchEvent {
  readonly entry: StreamEntry;
  /** True when appended on this node. */
  readonly local: boolean;
  /** Pass as `since` to a later `watch()` to resume right after this entry. */
  readonly cursor: number;
  /** The `origin` of the {@link Channel.transact} that appended it on this node, if any. */
  readonly origin: string | undefined;
}

/** Bookkeeping of one stream inside a channel. Internal. */
export class StreamObject implements TransactionTarget<Uint8Array, undefined>, SyncedObject {
  readonly kind = 'stream';
  readonly replica: StreamReplica;
  /** Entries in the order this node received them; their change seqs increase along it. */
  readonly #arrivals: { entry: StreamEntry; cursor: number }[] = [];
  readonly #watchers = new Set<AsyncQueue<StreamWatchEvent>>();
  readonly #context: NodeContext;
  readonly #channel: string;
  readonly #keys: StreamEntryKeys;
  readonly #proofKeys: StreamEntryKeys;
  /** Whether a channel member list admits an author's key (always, without one). */
  readonly #admits: (publicKey: Uint8Array) => boolean;
  /** Own entries appended and not yet signed: their chain hashes, by seq. */
  readonly #unsigned = new Map<number, ChainHash>();
  /**
   * Own entries signed whose proofs are not stored yet: they go with the next append's batch, so
   * a signature costs no storage commit of its own (lost in a crash, they are signed again on
   * open).
   */
  #unstored: StreamEntry[] = [];
  /** Own entries by the storage batch that makes them durable. */
  readonly #durable: DurableBatches<StreamEntry>;
  /**
   * Per author, entries of another history of theirs than the one shown here: at seqs shown
   * with other content, then the entries after them. An author restored from a backup makes
   * one (ADR 0057); {@link StreamObject.#judgeFork} decides which history stays.
   */
  readonly #forks = new Map<NodeId, Map<number, StreamEntry>>();
  #forkEntries = 0;
  /** The lowest seq at which a peer's digest showed another history of this node's own. */
  #forkSeen: number | undefined;
  #localWrite: Promise<void> = Promise.resolve();
  /** True while reloading persisted entries: they are neither re-persisted nor announced. */
  #loading = false;
  /** True while a local append is being applied, so its reveal is marked local. */
  #appending = false;
  /** The transaction origin of the local append being applied. */
  #origin: string | undefined;
  readonly #listeners = new Set<(event: StreamWatchEvent) => void>();

  /** @param admits whether the channel's member list admits an author's key (ADR 0054). */
  constructor(
    context: NodeContext,
    channel: string,
    readonly name: string,
    admits: (publicKey: Uint8Array) => boolean = () => true,
  ) {
    this.#context = context;
    this.#channel = channel;
    this.#keys = new StreamEntryKeys(channel, name);
    this.#proofKeys = new StreamEntryKeys(channel, name, RecordKind.StreamProof);
    this.#admits = admits;
    // A split history is resent to a peer at most every few rounds (see StreamReplica).
    this.replica = new StreamReplica(RESEND_ROUNDS * context.config.gossipInterval, context.sha256);
    this.replica.log.onEntry((entry, replaced) => this.#revealed(entry, replaced));
    this.#durable = new DurableBatches(context.writes, (batch) => this.#becameDurable(batch));
  }

  // SyncedObject. The channel routes digests and deltas by kind, so what reaches a stream is a
  // stream's: its clocks are stream clocks, its delta a stream delta.

  clocks(): ReadonlyArray<readonly [NodeId, StreamClock]> {
    const clocks = this.replica.clocks();
    const fork = this.#forkSeen;
    if (fork === undefined) return clocks;
    // A peer holds another history of this node's own below its last entry (ADR 0057): its own
    // clock is shown only up to there, where the peer's differs, so the peer sends its version
    // (a peer behind us would otherwise wait for ours and never show us its own).
    const self = this.#context.self;
    return clocks.map(([author, clock]): [NodeId, StreamClock] =>
      author === self && fork < clock.seq
        ? [author, { seq: fork, chain: this.replica.log.chainAt(self, fork) }]
        : [author, clock],
    );
  }

  plan(remote: ReadonlyMap<NodeId, Clock>, from: string, to: string | null, asker?: PlanAsker): ObjectPlan {
    const entries = this.replica.planDelta(remote as ReadonlyMap<NodeId, StreamClock>, from, to, asker);
    return { kind: 'stream', name: this.name, entries };
  }

  relayPlan(fresh: readonly Timestamp[]): ObjectPlan {
    return { kind: 'stream', name: this.name, entries: fresh as StreamEntry[] };
  }

  lacking(remote: ReadonlyArray<readonly [NodeId, Clock]>): Lacking {
    const clocks = remote as ReadonlyArray<readonly [NodeId, StreamClock]>;
    const self = this.#context.self;
    const log = this.replica.log;
    for (const [author, clock] of clocks) {
      if (author !== self || clock.seq === 0 || clock.seq >= log.seqOf(self) || clock.chain === undefined)
        continue;
      if (!sameChain(clock.chain, log.chainAt(self, clock.seq)))
        this.#forkSeen = Math.min(this.#forkSeen ?? clock.seq, clock.seq);
    }
    return this.replica.lacking(clocks);
  }

  merge(delta: ObjectDelta): StreamEntry[] {
    return this.mergeRemote(delta.entries as readonly StreamEntry[]);
  }

  /**
   * Loads persisted entries (no persistence, no events), in any order, with their proofs. Own
   * entries no proof covers (a crash before it was stored, or data from before proofs) are
   * signed now; other authors' entries beyond their last proof stay here but are not offered.
   */
  load(entries: readonly { entry: StreamEntry; cursor: number }[]): void {
    this.#loading = true;
    const log = this.replica.log;
    const self = this.#context.self;
    // Own entries at proof intervals that lost their proof, with their chain hashes: read as the
    // log extends the chain (a store scans an author's entries in seq order), not hashed again.
    const unproven: Array<[StreamEntry, ChainHash]> = [];
    for (const { entry } of entries) {
      const { proof, ...shown } = entry;
      log.apply(shown);
      if (proof !== undefined) this.replica.keepProof(entry.author, entry.seq, proof);
      else if (entry.author === self && entry.seq % PROOF_INTERVAL === 0 && log.seqOf(self) === entry.seq)
        unproven.push([shown, log.chainHash(self)]);
    }
    this.#loading = false;
    appendAll(
      this.#arrivals,
      entries.slice().sort((a, b) => a.cursor - b.cursor),
    );
    for (const [entry, chain] of unproven) this.#attachOwnProof(entry, chain);
    const own = log.seqOf(self);
    if (own > this.replica.provenOf(self))
      this.#attachOwnProof(log.entryAt(self, own) as StreamEntry, log.chainHash(self));
  }

  /** Validates a payload and copies it (the caller may reuse its buffer). Throws ShoalError. */
  prepare(payload: Uint8Array): Uint8Array {
    this.#context.assertOpen();
    if (!(payload instanceof Uint8Array)) {
      throw new ShoalError(ErrorCode.InvalidArgument, 'append() takes a Uint8Array payload');
    }
    const max = this.#context.config.limits.maxPayloadBytes;
    if (payload.length > max) {
      throw new ShoalError(
        ErrorCode.LimitExceeded,
        `payload of ${payload.length} bytes exceeds maxPayloadBytes (${max})`,
        {
          details: { limit: 'maxPayloadBytes', max, size: payload.length },
        },
      );
    }
    const maxEntries = this.#context.config.limits.maxStreamEntries;
    if (this.#entryCount() >= maxEntries) {
      throw new ShoalError(
        ErrorCode.LimitExceeded,
        `stream ${this.name} holds maxStreamEntries (${maxEntries})`,
        {
          details: { limit: 'maxStreamEntries', max: maxEntries },
        },
      );
    }
    return payload.slice();
  }

  /**
   * Entries this stream holds: what `maxStreamEntries` bounds. Entries waiting for a proof are
   * bounded apart (`MAX_PENDING` in StreamReplica): a peer sending junk cannot stop this node's appends.
   */
  #entryCount(): number {
    return this.replica.log.size + this.replica.log.held;
  }

  /** Appends add no map key. */
  addedKey(): undefined {
    return undefined;
  }

  /**
   * Appends a prepared payload as this node's next entry; resolves when durable. Peers are
   * offered it only once durable and signed (the proof is what they verify), so a crash can
   * never make this node reuse a seq some peer already holds (see MapObject.commit).
   */
  commit(payload: Uint8Array, origin: string | undefined): Promise<void> {
    const self = this.#context.self;
    const log = this.replica.log;
    const entry = log.nextEntry(self, this.#context.hlc.now(), payload);
    this.#appending = true;
    this.#origin = origin;
    log.apply(entry);
    this.#appending = false;
    this.#origin = undefined;
    this.#unsigned.set(entry.seq, log.chainHash(self));
    const durable = this.#localWrite;
    this.#durable.add(durable, entry);
    return durable;
  }

  /**
   * Own entries became durable: signs them (at their last seq, and at every
   * {@link PROOF_INTERVAL}-th seq so long runs verify in parts) and pushes them to peers.
   */
  #becameDurable(written: StreamEntry[]): void {
    // Entries a rewrite moved since (ADR 0057) are no longer this node's at their seqs.
    const log = this.replica.log;
    const batch = written.filter((entry) => log.entryAt(entry.author, entry.seq) === entry);
    if (batch.length === 0) return;
    const last = batch[batch.length - 1] as StreamEntry;
    if (last.seq <= this.replica.provenOf(this.#context.self)) return;
    for (const entry of batch) {
      const chain = this.#unsigned.get(entry.seq);
      this.#unsigned.delete(entry.seq);
      if (chain !== undefined && (entry === last || entry.seq % PROOF_INTERVAL === 0))
        this.#attachOwnProof(entry, chain);
    }
    const entries = batch.map((entry) => this.replica.withProof(entry));
    this.#context.pushLocal(this.#channel, { kind: 'stream', name: this.name, entries });
  }

  /**
   * Signs own entries up to `entry` (whose chain hash is `chain`) and offers them; the proof is
   * stored with the next append.
   */
  #attachOwnProof(entry: StreamEntry, chain: ChainHash): void {
    const context = this.#context;
    const message = streamProofMessage(this.name, entry.author, entry.seq, chain);
    const proof: EntryProof = { signature: context.sign(message), publicKey: context.publicKey };
    this.replica.keepProof(entry.author, entry.seq, proof);
    this.#unstored.push(entry);
  }

  /** Keeps a proof verified for a visible entry, stores it, and offers up to it. */
  #keepProof(entry: StreamEntry, proof: EntryProof): void {
    this.replica.keepProof(entry.author, entry.seq, proof);
    putStreamProof(this.#context.writes.append(), this.#proofKeys, entry, proof);
  }

  /**
   * Whether `proof` is `author`'s signature over its entries 1..`seq` with chain hash `chain`:
   * the key must be the one this node knows for the author first-hand (itself, or a peer whose
   * pair-sealed messages opened under it), else the key the proof names, which for a
   * self-certifying author id must be the key the id derives from; a channel with a member list
   * by key admits only its members' keys. A proof that fails is reported.
   */
  #check = (author: NodeId, seq: number, chain: ChainHash, proof: EntryProof): boolean | undefined => {
    const context = this.#context;
    const valid = isAuthorSignature(
      context,
      this.#admits,
      author,
      proof.publicKey,
      () => streamProofMessage(this.name, author, seq, chain),
      proof.signature,
    );
    if (valid === undefined) return undefined;
    if (!valid) {
      context.reportError(
        new ShoalError(
          ErrorCode.AuthFailed,
          `stream ${this.name}: dropped a proof of ${author}'s entries up to ${seq} that is not ${author}'s signature`,
          { details: { author, seq } },
        ),
      );
    }
    return valid;
  };

  /**
   * Merges entries from a peer; returns the ones that became visible here. An entry beyond its
   * author's visible ones waits until a proof from the author covers it (ADR 0054); one at a seq
   * already visible with other content is a forgery or an equivocation, reported and dropped.
   */
  mergeRemote(entries: readonly StreamEntry[]): StreamEntry[] {
    const fresh: StreamEntry[] = [];
    const log = this.replica.log;
    let newest: StreamEntry | undefined;
    let authors: Set<NodeId> | undefined;
    let forked: Set<NodeId> | undefined;
    /** Authors a proof came for in this message: only then can another history of theirs prove. */
    let proved: Set<NodeId> | undefined;
    for (const entry of entries) {
      if (this.#entryCount() >= this.#context.config.limits.maxStreamEntries) {
        this.#context.reportError(
          new ShoalError(ErrorCode.LimitExceeded, `dropped remote entries: stream ${this.name} is full`),
        );
        break;
      }
      if (entry.payload.length > this.#context.config.limits.maxPayloadBytes) {
        this.#context.reportError(
          new ShoalError(ErrorCode.LimitExceeded, 'dropped a remote entry over maxPayloadBytes'),
        );
        continue;
      }
      try {
        this.#context.hlc.check(entry);
      } catch (error) {
        this.#context.reportError(error as ShoalError);
        continue;
      }
      if (newest === undefined || compareTimestamps(entry, newest) > 0) newest = entry;
      if (entry.proof !== undefined) {
        proved ??= new Set();
        proved.add(entry.author);
      }
      const own = entry.author === this.#context.self;
      if (entry.seq > log.seqOf(entry.author)) {
        // Too far ahead, or too many waiting: dropped, and the next round brings it again.
        if (!this.replica.hold(entry)) continue;
        authors ??= new Set();
        authors.add(entry.author);
        continue;
      }
      const held = log.entryAt(entry.author, entry.seq) as StreamEntry;
      if (sameEntry(held, entry)) {
        // A peer holds this node's own entry there after all: whatever digest suggested it did not
        // (a history it has since taken in, or a lie) no longer narrows its own clock.
        if (own && entry.seq === this.#forkSeen) this.#forkSeen = undefined;
        this.#dropFork(entry.author, entry.seq);
        // The author's proof of what this replica already shows (an author's first sync after
        // both upgraded to proofs): adopted, so this replica can offer those entries too.
        const proof = entry.proof;
        if (
          proof !== undefined &&
          entry.seq === log.seqOf(entry.author) &&
          entry.seq > this.replica.provenOf(entry.author) &&
          this.#check(entry.author, entry.seq, log.chainHash(entry.author), proof) === true
        )
          this.#keepProof(held, proof);
        continue;
      }
      if (!own)
        this.#context.reportError(
          new ShoalError(
            ErrorCode.StreamConflict,
            `stream ${this.name}: a peer sent entry ${entry.seq} of ${entry.author} with other content than the one held; kept the one held unless that history proves earlier`,
            { details: { author: entry.author, seq: entry.seq, replaced: false } },
          ),
        );
      if (this.#keepFork(entry)) {
        forked ??= new Set();
        forked.add(entry.author);
      }
    }
    if (newest !== undefined) this.#context.hlc.receive(newest);
    // Another history is judged first: its entries beyond ours wait with the others, and a run
    // of ours would only fail against its proofs.
    for (const author of forked ?? []) this.#judgeFork(author, proved?.has(author) === true);
    if (authors !== undefined)
      for (const author of authors) appendAll(fresh, this.replica.advance(author, this.#check));
    return fresh;
  }

  /** Keeps an entry of another history of its author, to judge; false when full. */
  #keepFork(entry: StreamEntry): boolean {
    let fork = this.#forks.get(entry.author);
    const known = fork?.has(entry.seq) === true;
    if (!known && ((fork?.size ?? 0) >= MAX_PENDING_AHEAD || this.#forkEntries >= MAX_PENDING)) return false;
    if (fork === undefined) {
      fork = new Map();
      this.#forks.set(entry.author, fork);
    }
    if (!known) this.#forkEntries++;
    fork.set(entry.seq, entry);
    return true;
  }

  /** Forgets `author`'s other history from `seq` to `upTo` (by default at `seq` alone: a peer shows ours there). */
  #dropFork(author: NodeId, seq: number, upTo = seq): void {
    const fork = this.#forks.get(author);
    if (fork === undefined) return;
    for (const at of [...fork.keys()]) if (at >= seq && at <= upTo && fork.delete(at)) this.#forkEntries--;
    if (fork.size === 0) this.#forks.delete(author);
  }

  /**
   * Decides between `author`'s history shown here and another one peers sent (ADR 0057). The
   * one whose entry at the first seq k where they differ is earlier stays: an author restored
   * from a backup wrote the original's entries before its own. The other history is taken when
   * a proof under the author's key covers a run of it from k (chained from the entries before
   * k): shown in place of ours from k on, once it reaches at least as far as ours (the log
   * replaces, it never drops entries). When `author` is this node, what it wrote from k on is
   * appended again after that run, with new stamps, so nothing it wrote is lost and its peers,
   * which hold the original, take those as new entries. A history whose entry at k is the later
   * one is dropped (for this node: entries it wrote and has already left), reported. `proved`:
   * a proof of `author`'s came with the message, without which no run of it can prove.
   */
  #judgeFork(author: NodeId, proved: boolean): void {
    const fork = this.#forks.get(author);
    if (fork === undefined) return;
    const self = this.#context.self;
    const log = this.replica.log;
    const from = Math.min(...fork.keys());
    const held = log.seqOf(author);
    if (from > held + 1) return; // a gap below: the rest of the resend fills it
    const first = fork.get(from) as StreamEntry;
    const mine = log.entryAt(author, from);
    if (mine !== undefined && !precedesInConflict(first, mine)) {
      this.#dropFork(author, 0, Number.MAX_SAFE_INTEGER);
      if (author === self) {
        this.#forkSeen = undefined;
        this.#context.reportError(
          new ShoalError(
            ErrorCode.StreamConflict,
            `stream ${this.name}: a peer holds entry ${from} of this node written after its own one there (a history this node left); kept its own`,
            { details: { author, seq: from, replaced: false } },
          ),
        );
      }
      return;
    }
    // Hashing the other history costs a step per entry it holds: worth it only when a proof came.
    if (!proved) return;
    // The other history: what differs up to our last entry, then what waits beyond it.
    const run: StreamEntry[] = [];
    for (
      let next = fork.get(from);
      next !== undefined && next.seq <= held;
      next = fork.get(from + run.length)
    )
      run.push(next);
    if (from + run.length === held + 1) appendAll(run, this.replica.pendingRun(author, held + 1));
    const chains: ChainHash[] = [];
    let chain = log.chainHashAt(author, from - 1);
    for (const entry of run) {
      chain = chainStep(chain, entry, this.#context.sha256);
      chains.push(chain);
    }
    let end = run.length - 1;
    let proofs = 0;
    while (end >= 0) {
      const { seq, proof } = run[end] as StreamEntry;
      if (proof !== undefined) proofs++;
      if (proof !== undefined && this.#check(author, seq, chains[end] as ChainHash, proof) === true) break;
      end--;
    }
    if (end < 0) {
      // No proof yet: the rest of the resend brings one. Proofs that fail (checked above, and
      // reported) mark entries forged in the author's name: they go, and cannot fill the room.
      if (proofs > 0) this.#dropFork(author, from, held);
      return;
    }
    const proven = run[end] as StreamEntry;
    if (author !== self && proven.seq < held) return; // shorter than ours so far: wait for the rest
    const adopted = run.slice(0, end + 1).map(({ proof: _, ...entry }) => entry);
    // New stamps, after every entry the peers sent (the clock took them in above), so this
    // node's entries keep their seq order in the stream's order.
    const moved =
      author !== self
        ? []
        : log.entriesAfter(self, from - 1).map((entry, index): StreamEntry => {
            const { wall, counter } = this.#context.hlc.now();
            return { author: self, seq: proven.seq + 1 + index, wall, counter, payload: entry.payload };
          });
    for (const seq of this.replica.dropProofsFrom(author, from))
      deleteStreamProof(this.#context.writes.append(), this.#proofKeys, author, seq);
    if (author === self) {
      for (const seq of [...this.#unsigned.keys()]) if (seq >= from) this.#unsigned.delete(seq);
      this.#unstored = this.#unstored.filter((entry) => entry.seq < from);
    }
    this.#appending = author === self;
    log.rewrite(author, from, [...adopted, ...moved]);
    this.#appending = false;
    this.#keepProof(adopted[adopted.length - 1] as StreamEntry, proven.proof as EntryProof);
    this.#dropFork(author, 0, proven.seq);
    this.replica.forgetPendingTo(author, log.seqOf(author));
    if (author === self) this.#forkSeen = undefined;
    // Signed and offered once durable, as appends are.
    let movedChain = chains[end] as ChainHash;
    for (const entry of moved) {
      movedChain = chainStep(movedChain, entry, this.#context.sha256);
      this.#unsigned.set(entry.seq, movedChain);
      this.#durable.add(this.#localWrite, entry);
    }
    this.#context.reportError(
      new ShoalError(
        ErrorCode.StreamConflict,
        author === self
          ? `stream ${this.name}: peers hold this node's entries ${from}-${proven.seq} with other content (this node runs on an older copy of its data?): took theirs, and appended its ${moved.length === 1 ? 'entry' : `${moved.length} entries`} from ${from} on again after them`
          : `stream ${this.name}: ${author}'s entries from ${from} on replaced by its earlier history, proven up to ${proven.seq}`,
        { details: { author, seq: from, replaced: true } },
      ),
    );
  }

  watch(options: WatchOptions = {}): AsyncIterableIterator<StreamWatchEvent> {
    this.#context.assertOpen();
    const queue: AsyncQueue<StreamWatchEvent> = new AsyncQueue(
      () => this.#watchers.delete(queue),
      options.signal,
    );
    const since = options.since;
    if (since !== undefined) {
      if (!Number.isSafeInteger(since) || since < 0) {
        throw new ShoalError(ErrorCode.InvalidArgument, 'since must be a cursor (a non-negative integer)');
      }
      for (const { entry, cursor } of this.#arrivals) {
        if (cursor > since)
          queue.push({ entry, cursor, local: entry.author === this.#context.self, origin: undefined });
      }
    }
    this.#watchers.add(queue);
    return queue;
  }

  closeWatchers(): void {
    for (const watcher of this.#watchers) watcher.close();
  }

  #revealed(entry: StreamEntry, replaced: StreamEntry | undefined): void {
    if (this.#loading) return;
    if (replaced !== undefined) {
      // The displaced entry is no longer in the stream: `watch({ since })` must not replay it.
      const index = this.#arrivals.findIndex((arrival) => arrival.entry === replaced);
      if (index >= 0) this.#arrivals.splice(index, 1);
    }
    const cursor = this.#context.nextChangeSeq();
    this.#arrivals.push({ entry, cursor });
    const writes = this.#context.writes;
    putStreamEntry(writes.append(), this.#keys, entry, cursor);
    if (this.#appending) {
      // Own proofs signed since the last append ride in this one's batch.
      for (const signed of this.#unstored) {
        const own = this.replica.proofOf(signed.author, signed.seq) as EntryProof;
        putStreamProof(writes.append(), this.#proofKeys, signed, own);
      }
      this.#unstored = [];
    } else {
      // A remote entry's proof was verified and kept before it was revealed: stored in the same batch.
      const proof = this.replica.proofOf(entry.author, entry.seq);
      if (proof !== undefined) putStreamProof(writes.append(), this.#proofKeys, entry, proof);
    }
    const durable = writes.queued;
    // A remote entry's failed write needs no handler here: the write queue reports it.
    if (this.#appending) this.#localWrite = durable;
    if (this.#watchers.size === 0 && this.#listeners.size === 0) return;
    const event: StreamWatchEvent = {
      entry,
      cursor,
      local: this.#appending,
      origin: this.#appending ? this.#origin : undefined,
    };
    for (const watcher of this.#watchers) watcher.push(event);
    callListeners(this.#listeners, event, `stream ${this.name}`, this.#context.reportError);
  }

  /** Calls `listener` for every entry that becomes visible from now on; returns the unsubscribe. */
  onEntry(listener: (event: StreamWatchEvent) => void): () => void {
    this.#context.assertOpen();
    checkListener(listener);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/**
 * A replicated append-only event stream. Every node may append; each author's entries keep
 * their order and never have gaps; {@link SharedStream.getAll} returns one total order
 * (hlc, author, seq) that is identical on every converged replica.
 */
export class SharedStream {
  readonly #object: StreamObject;
  readonly #channel: ChannelState;

  /** @internal Created by {@link Channel.stream}. */
  constructor(object: StreamObject, channel: ChannelState) {
    this.#object = object;
    this.#channel = channel;
  }

  get name(): string {
    return this.#object.name;
  }

  /** Number of visible entries. */
  get size(): number {
    return this.#object.replica.log.size;
  }

  /**
   * Appends `payload` as this node's next entry. Visible to `getAll` at once; resolves when
   * durable. Inside {@link Channel.transact} it is applied with the transaction. Rejects with
   * ShoalError `LIMIT_EXCEEDED` over `maxPayloadBytes`, `INVALID_ARGUMENT` for a
   * non-`Uint8Array`, `CLOSED` after dispose; nothing changes then.
   */
  append(payload: Uint8Array): Promise<void> {
    const transaction = this.#channel.transaction;
    try {
      const prepared = this.#object.prepare(payload);
      if (transaction === undefined) return this.#object.commit(prepared, undefined);
      transaction.add(this.#object, prepared, undefined, -1, -1, false);
      return transaction.settled;
    } catch (error) {
      // A bad append inside a transaction fails all of it (see SharedMap.set).
      if (transaction === undefined) return Promise.reject(error);
      transaction.fail(error);
      return transaction.settled;
    }
  }

  /**
   * Calls `listener` synchronously for every entry that becomes visible here, local or from a
   * peer; returns the unsubscribe function. A listener that throws is reported on
   * `node.errors` (`LISTENER_FAILED`).
   */
  on(event: 'entry', listener: (event: StreamWatchEvent) => void): () => void {
    if (event !== 'entry')
      throw new ShoalError(ErrorCode.InvalidArgument, `unknown stream event ${String(event)}`);
    return this.#object.onEntry(listener);
  }

  /** Every visible entry in the total order (a snapshot array). */
  getAll(): StreamEntry[] {
    return this.#object.replica.log.getAll();
  }

  /** Entries as they become visible here; `since` resumes from a cursor (0 = from the start). */
  watch(options?: WatchOptions): AsyncIterableIterator<StreamWatchEvent> {
    return this.#object.watch(options);
  }

  /**
   * Folds entries into derived state, kept equal to a fold over {@link SharedStream.getAll} as
   * entries arrive (incrementally when they land at the end, refolded when one lands earlier).
   */
  materialize<S>(materializer: Materializer<S>): MaterializedView<S> {
    return this.#object.replica.log.materialize(materializer);
  }
}
