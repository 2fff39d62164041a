import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';
import { encodeValue } from '../codec/encode-value.js';
import type { StreamEntry } from '../crdt/event-log.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { nodeIdSize } from '../protocol/node-id-codec.js';
import { type StampCursor, stampCursor, stampSize } from '../protocol/stamp-coding.js';
import {
  type EncodedMapEntry,
  type OutgoingDelta,
  STREAM_PROOF_BYTES,
  streamSeqStep,
} from '../protocol/sync-codec.js';
import type { RangeClaim } from '../protocol/sync-messages.js';
import { varintSize } from '../wire/byte-writer.js';
import { utf8Length } from '../wire/utf8-length.js';

/**
 * The delta to send for one object: its entries, and for a map the ranges they complete
 * (a stream's `claims` are always empty: a stream's digest needs none).
 */
export type ObjectPlan =
  | {
      readonly kind: 'map';
      readonly name: string;
      readonly claims: readonly RangeClaim[];
      readonly entries: readonly MapEntry[];
    }
  | {
      readonly kind: 'stream';
      readonly name: string;
      readonly claims: readonly RangeClaim[];
      readonly entries: readonly StreamEntry[];
    };

/** True when `plan` carries anything to send. */
export function planHasContent(plan: ObjectPlan): boolean {
  return plan.entries.length + plan.claims.length > 0;
}

type MutableObject =
  | { kind: 'map'; name: string; claims: RangeClaim[]; entries: EncodedMapEntry[]; cursor: StampCursor }
  | { kind: 'stream'; name: string; entries: StreamEntry[]; cursor: StampCursor; previousSeq: number };

// Upper bounds of fixed parts, in bytes.
const MESSAGE_HEADER = 1 + 3 + 3;
/** An object's claim and entry counts (varints). */
const OBJECT_COUNTS = 3 + 3;
/** Writer index and two timestamps (≤ 7 + 3 bytes each). */
const CLAIM_COST = 3 + 2 * (7 + 3);

/**
 * Splits a delta into messages of at most `budget` bytes each. Every chunk is useful alone:
 * its entries merge without the others, and a map claim in a chunk covers exactly the entries
 * of that writer up to the chunk's last one, starting where the previous chunk's claim ended —
 * so a receiver that lost an earlier chunk merges the entries but does not advance its clock.
 *
 * Sizes are computed as the encoder will write them (upper bounds where a varint's width
 * depends on data not known yet), so no encoded chunk exceeds the budget, except that an entry
 * too large for any chunk travels alone in an oversized message (counted in `oversized`),
 * which the sender fragments.
 */
export class DeltaChunker {
  readonly #channel: string;
  readonly #budget: number;
  readonly #push: boolean;
  readonly #messages: OutgoingDelta[] = [];
  #objects: MutableObject[] = [];
  #writers = new Set<NodeId>();
  /** Writers whose claim's bytes are already counted in this chunk. */
  #claimReserved = new Set<NodeId>();
  /** Per writer, the last map entry placed in this chunk (where its claim may end). */
  readonly #lastStamps = new Map<NodeId, Timestamp>();
  #size = 0;
  /** Bytes of the chunks closed so far (their encoded size, before compression and sealing). */
  #closedBytes = 0;
  #current: MutableObject | undefined;
  readonly #maxMessages: number;
  #stopped = false;
  oversized = 0;

  /**
   * @param maxMessages stop once this many chunks are closed: what is added after is ignored
   * and {@link DeltaChunker.complete} turns false. A sender measuring how its first chunks
   * compress does not pay for cutting the whole delta.
   */
  constructor(channel: string, budget: number, push: boolean, maxMessages = Number.POSITIVE_INFINITY) {
    this.#channel = channel;
    this.#budget = budget;
    this.#push = push;
    this.#maxMessages = maxMessages;
    this.#reset();
  }

  /** False when the chunker stopped at `maxMessages` chunks with entries left out. */
  get complete(): boolean {
    return !this.#stopped;
  }

  /** Adds one object's delta. */
  add(object: ObjectPlan): void {
    if (this.#stopped) return;
    if (object.kind === 'stream') {
      for (const entry of object.entries) if (!this.#addStreamEntry(object.name, entry)) return;
      return;
    }
    this.#addMap(object.name, object);
  }

  /** Encoded bytes of every chunk so far, the open one included (before compression and sealing). */
  get bytes(): number {
    return this.#closedBytes + (this.#hasContent() ? this.#size : 0);
  }

  /**
   * Closes the last chunk and returns all messages, the last marked final. A chunker that
   * stopped at `maxMessages` returns only the chunks it closed.
   */
  finish(): OutgoingDelta[] {
    if (!this.#stopped) this.#flush();
    const last = this.#messages.pop();
    if (last !== undefined) this.#messages.push({ ...last, final: true });
    return this.#messages;
  }

  #addMap(
    name: string,
    plan: { readonly claims: readonly RangeClaim[]; readonly entries: readonly MapEntry[] },
  ): void {
    const claims = new Map<NodeId, RangeClaim>(plan.claims.map((claim) => [claim.writer, claim]));
    // Where the next claim for each writer starts: the end of the previous chunk's claim.
    const claimFrom = new Map<NodeId, Timestamp>();
    const closeClaim = (writer: NodeId, upTo: Timestamp | undefined): void => {
      const claim = claims.get(writer);
      if (claim === undefined) return;
      const from = claimFrom.get(writer) ?? claim.from;
      const to = upTo === undefined || compareTimestamps(upTo, claim.to) > 0 ? claim.to : upTo;
      if (compareTimestamps(to, from) <= 0) return;
      if (!this.#claimReserved.has(writer)) {
        this.#size += this.#objectCost('map', name) + this.#writerCost(writer) + CLAIM_COST;
      }
      this.#writers.add(writer);
      this.#mapObject(name).claims.push({ writer, from, to });
      claimFrom.set(writer, to);
    };
    /** Closes the open chunk; false when that was the last one allowed. */
    const cut = (): boolean => {
      // Each writer's claim in this chunk ends at its last entry here; the next chunk goes on.
      for (const [writer, last] of this.#lastStamps) closeClaim(writer, last);
      this.#flush();
      return this.#goOn();
    };
    for (const entry of plan.entries) {
      const valueBytes = entry.value === undefined ? undefined : encodeValue(entry.value);
      let cost = this.#mapEntryCost(name, entry, valueBytes, claims.has(entry.writer));
      if (this.#size + cost > this.#budget && this.#hasContent()) {
        if (!cut()) return;
        cost = this.#mapEntryCost(name, entry, valueBytes, claims.has(entry.writer));
      }
      // An entry larger than a whole chunk travels alone in an oversized message, which the
      // sender fragments: skipping it would let this chunk's claim vouch for an entry it lacks.
      if (this.#size + cost > this.#budget) this.oversized++;
      if (claims.has(entry.writer)) this.#claimReserved.add(entry.writer);
      const object = this.#mapObject(name);
      this.#size += cost;
      this.#writers.add(entry.writer);
      this.#lastStamps.set(entry.writer, entry);
      // The encoder starts a map object's cursor at its first claim, which is not known yet:
      // from zero, the first entry's size is overestimated, never under.
      object.cursor = { wall: entry.wall, counter: entry.counter };
      object.entries.push({ entry, valueBytes });
    }
    for (const claim of plan.claims) {
      // Nothing left to vouch for (an earlier chunk's claim reached the end): no room needed.
      if (compareTimestamps(claim.to, claimFrom.get(claim.writer) ?? claim.from) <= 0) continue;
      const reserved = this.#claimReserved.has(claim.writer);
      const cost = this.#objectCost('map', name) + this.#writerCost(claim.writer) + CLAIM_COST;
      // A claim that does not fit goes to the next chunk, but the claims of the writers whose
      // entries are in this one are closed here first: carried along, a claim would vouch for
      // entries of an earlier chunk, and a receiver that lost that chunk would skip them for good.
      if (!reserved && this.#size + cost > this.#budget && !cut()) return;
      closeClaim(claim.writer, undefined);
    }
    this.#lastStamps.clear();
  }

  /** Places one stream entry; false when the chunker stopped instead. */
  #addStreamEntry(name: string, entry: StreamEntry): boolean {
    let cost = this.#streamEntryCost(name, entry);
    if (this.#size + cost > this.#budget && this.#hasContent()) {
      this.#flush();
      if (!this.#goOn()) return false;
      cost = this.#streamEntryCost(name, entry);
    }
    if (this.#size + cost > this.#budget) this.oversized++;
    const object = this.#streamObject(name);
    this.#size += cost;
    this.#writers.add(entry.author);
    object.entries.push(entry);
    object.cursor = { wall: entry.wall, counter: entry.counter };
    object.previousSeq = entry.seq;
    return true;
  }

  #mapEntryCost(name: string, entry: MapEntry, valueBytes: Uint8Array | undefined, claimed: boolean): number {
    const current = this.#current;
    const cursor = current?.kind === 'map' ? current.cursor : stampCursor();
    const keyLength = utf8Length(entry.key);
    return (
      this.#objectCost('map', name) +
      varintSize(keyLength) +
      keyLength +
      this.#writerCost(entry.writer) +
      (claimed && !this.#claimReserved.has(entry.writer) ? CLAIM_COST : 0) +
      3 +
      stampSize(cursor, entry) +
      1 +
      (valueBytes === undefined ? 0 : varintSize(valueBytes.length) + valueBytes.length)
    );
  }

  #streamEntryCost(name: string, entry: StreamEntry): number {
    const current = this.#current;
    const same = current?.kind === 'stream' && current.name === name;
    const cursor = same ? current.cursor : stampCursor();
    const previousSeq = same ? current.previousSeq : 0;
    return (
      this.#objectCost('stream', name) +
      this.#writerCost(entry.author) +
      3 +
      varintSize(streamSeqStep(entry.seq, previousSeq, entry.proof)) +
      stampSize(cursor, entry) +
      varintSize(entry.payload.length) +
      entry.payload.length +
      (entry.proof === undefined ? 0 : STREAM_PROOF_BYTES)
    );
  }

  #writerCost(writer: NodeId): number {
    return this.#writers.has(writer) ? 0 : nodeIdSize(writer);
  }

  /** Bytes an object header costs if the next item of (`kind`, `name`) starts a new object. */
  #objectCost(kind: 'map' | 'stream', name: string): number {
    const current = this.#current;
    if (current?.kind === kind && current.name === name) return 0;
    const nameBytes = utf8Length(name);
    return 1 + varintSize(nameBytes) + nameBytes + OBJECT_COUNTS;
  }

  #mapObject(name: string): Extract<MutableObject, { kind: 'map' }> {
    const current = this.#current;
    if (current?.kind === 'map' && current.name === name) return current;
    const object: Extract<MutableObject, { kind: 'map' }> = {
      kind: 'map',
      name,
      claims: [],
      entries: [],
      cursor: stampCursor(),
    };
    this.#objects.push(object);
    this.#current = object;
    return object;
  }

  #streamObject(name: string): Extract<MutableObject, { kind: 'stream' }> {
    const current = this.#current;
    if (current?.kind === 'stream' && current.name === name) return current;
    const object: Extract<MutableObject, { kind: 'stream' }> = {
      kind: 'stream',
      name,
      entries: [],
      cursor: stampCursor(),
      previousSeq: 0,
    };
    this.#objects.push(object);
    this.#current = object;
    return object;
  }

  /** After closing a chunk with more to place: false (and stopped) when no more are allowed. */
  #goOn(): boolean {
    this.#stopped = this.#messages.length >= this.#maxMessages;
    return !this.#stopped;
  }

  #hasContent(): boolean {
    return this.#objects.some(
      (object) => object.entries.length > 0 || (object.kind === 'map' && object.claims.length > 0),
    );
  }

  #flush(): void {
    if (this.#hasContent()) {
      this.#closedBytes += this.#size;
      this.#messages.push({
        channel: this.#channel,
        push: this.#push,
        final: false,
        // Set by the sender, which knows the channel's sync state.
        fresh: false,
        objects: this.#objects.map((object) =>
          object.kind === 'map'
            ? { kind: 'map', name: object.name, claims: object.claims, entries: object.entries }
            : { kind: 'stream', name: object.name, entries: object.entries },
        ),
      });
    }
    this.#reset();
  }

  #reset(): void {
    this.#objects = [];
    this.#writers = new Set();
    this.#claimReserved = new Set();
    this.#lastStamps.clear();
    this.#current = undefined;
    this.#size = MESSAGE_HEADER + varintSize(utf8Length(this.#channel)) + utf8Length(this.#channel);
  }
}
