import { encodeValue } from '../codec/encode-value.js';
import type { StreamEntry } from '../crdt/event-log.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES } from '../ports/signer.js';
import { nodeIdSize } from '../protocol/node-id-codec.js';
import { type StampCursor, stampCursor, stampSize } from '../protocol/stamp-coding.js';
import {
  type EncodedMapEntry,
  type OutgoingDelta,
  STREAM_PROOF_BYTES,
  streamSeqStep,
} from '../protocol/sync-codec.js';
import type { MapGhost, MapProof } from '../protocol/sync-messages.js';
import { VALUE_DIGEST_BYTES } from '../security/map-set-proofs.js';
import { varintSize } from '../wire/byte-writer.js';
import { utf8Length } from '../wire/utf8-length.js';
import { MAX_PENDING_AHEAD } from './stream-replica.js';

/**
 * The delta to send for one object: a map's proofs with the entries and ghosts they cover
 * (laid out proof by proof, ADR 0058), or a stream's entries.
 */
export type ObjectPlan =
  | {
      readonly kind: 'map';
      readonly name: string;
      readonly proofs: readonly MapProof[];
      readonly entries: readonly MapEntry[];
      readonly ghosts: readonly MapGhost[];
    }
  | { readonly kind: 'stream'; readonly name: string; readonly entries: readonly StreamEntry[] };

/** True when `plan` carries anything to send. */
export function planHasContent(plan: ObjectPlan): boolean {
  return plan.entries.length > 0 || (plan.kind === 'map' && plan.proofs.length > 0);
}

type MutableObject =
  | {
      kind: 'map';
      name: string;
      proofs: MapProof[];
      entries: EncodedMapEntry[];
      ghosts: MapGhost[];
      cursor: StampCursor;
    }
  | { kind: 'stream'; name: string; entries: StreamEntry[]; cursor: StampCursor; previousSeq: number };

// Upper bounds of fixed parts, in bytes.
const MESSAGE_HEADER = 1 + 3 + 3;
/** An object's proof, entry and ghost counts (varints). */
const OBJECT_COUNTS = 3 + 3 + 3;
/** A timestamp, at most. */
const STAMP_COST = 7 + 3;

/**
 * Splits a delta into messages of at most `budget` bytes each. Every chunk is useful alone: a
 * map proof travels with every entry and ghost it covers (its receiver checks them together),
 * and a stream's entries merge without the others.
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

  /** Places a map's proofs, each with what it covers, whole in one chunk. */
  #addMap(name: string, plan: Extract<ObjectPlan, { kind: 'map' }>): void {
    let entry = 0;
    let ghost = 0;
    for (const proof of plan.proofs) {
      const entryCount = proof.kind === 'cut' ? 0 : proof.entries;
      const ghostCount = proof.kind === 'cut' ? 0 : proof.ghosts;
      const entries = plan.entries.slice(entry, entry + entryCount);
      const ghosts = plan.ghosts.slice(ghost, ghost + ghostCount);
      entry += entryCount;
      ghost += ghostCount;
      const encoded = entries.map((held) => ({
        entry: held,
        valueBytes: held.value === undefined ? undefined : encodeValue(held.value),
      }));
      let cost = this.#proofCost(name, proof, encoded, ghosts);
      if (this.#size + cost > this.#budget && this.#hasContent()) {
        this.#flush();
        if (!this.#goOn()) return;
        cost = this.#proofCost(name, proof, encoded, ghosts);
      }
      // A proof with more than a whole chunk holds travels alone in an oversized message, which
      // the sender fragments: its receiver checks it only whole.
      if (this.#size + cost > this.#budget) this.oversized++;
      const object = this.#mapObject(name);
      this.#size += cost;
      this.#writers.add(proof.writer);
      object.proofs.push(proof);
      for (const item of encoded) {
        this.#writers.add(item.entry.writer);
        object.entries.push(item);
      }
      for (const held of ghosts) {
        this.#writers.add(held.writer);
        if (held.by !== undefined) this.#writers.add(held.by.writer);
        object.ghosts.push(held);
      }
      const last = entries[entries.length - 1];
      if (last !== undefined) object.cursor = { wall: last.wall, counter: last.counter };
    }
  }

  /** Bytes a proof and what it covers cost in the open chunk (upper bounds). */
  #proofCost(
    name: string,
    proof: MapProof,
    entries: readonly EncodedMapEntry[],
    ghosts: readonly MapGhost[],
  ): number {
    const writers = new Set<NodeId>([proof.writer]);
    let cost = this.#objectCost('map', name) + 3 + 2 * STAMP_COST;
    if (proof.kind === 'cut')
      cost += SIGNATURE_BYTES + SIGNING_PUBLIC_KEY_BYTES + 3 + proof.nodes.length * 36;
    else cost += 6 + (proof.kind === 'whole' ? SIGNATURE_BYTES + SIGNING_PUBLIC_KEY_BYTES : 4);
    for (const { entry, valueBytes } of entries) {
      const keyLength = utf8Length(entry.key);
      writers.add(entry.writer);
      cost += varintSize(keyLength) + keyLength + 3 + STAMP_COST + 1;
      if (valueBytes !== undefined) cost += varintSize(valueBytes.length) + valueBytes.length;
    }
    for (const held of ghosts) {
      const keyLength = utf8Length(held.key);
      if (held.by !== undefined) writers.add(held.by.writer);
      cost += varintSize(keyLength) + keyLength + 3 + STAMP_COST + VALUE_DIGEST_BYTES + 3 + STAMP_COST;
    }
    for (const writer of writers) cost += this.#writerCost(writer);
    return cost;
  }

  /** Places one stream entry; false when the chunker stopped instead. */
  #addStreamEntry(name: string, entry: StreamEntry): boolean {
    let cost = this.#streamEntryCost(name, entry);
    // A receiver keeps at most MAX_PENDING_AHEAD entries of an author beyond those it shows
    // while their proof is checked: a chunk (small entries compress well) carries no more.
    const full = this.#current?.kind === 'stream' && this.#current.entries.length >= MAX_PENDING_AHEAD;
    if ((full || this.#size + cost > this.#budget) && this.#hasContent()) {
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
      proofs: [],
      entries: [],
      ghosts: [],
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
      (object) => object.entries.length > 0 || (object.kind === 'map' && object.proofs.length > 0),
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
            ? {
                kind: 'map',
                name: object.name,
                proofs: object.proofs,
                entries: object.entries,
                ghosts: object.ghosts,
              }
            : { kind: 'stream', name: object.name, entries: object.entries },
        ),
      });
    }
    this.#reset();
  }

  #reset(): void {
    this.#objects = [];
    this.#writers = new Set();
    this.#current = undefined;
    this.#size = MESSAGE_HEADER + varintSize(utf8Length(this.#channel)) + utf8Length(this.#channel);
  }
}
