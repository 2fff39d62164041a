import { ErrorCode, ShoalError } from '../../errors/shoal-error.js';
import type { DecodeResult } from '../../wire/byte-reader.js';
import { ByteWriter } from '../../wire/byte-writer.js';
import { decodeDifference, type SketchDifference } from './difference-sketch.js';
import { type Fingerprint, fingerprintBytes, sameBytes } from './fingerprint.js';
import { BRANCHING, childRange, MAX_DEPTH, type PrefixRange, ROOT_RANGE, rangeId } from './prefix-range.js';
import type { ReconcileIndex } from './reconcile-index.js';
import {
  decodeReconcileMessage,
  encodeRecord,
  RECONCILE_PROTOCOL,
  type ReconcileRecord,
  type WireSummary,
} from './reconcile-message.js';

/** Smallest message budget accepted: one `split` record (16 summaries) always fits. */
export const MIN_MESSAGE_BYTES = 256;

/** Options of a {@link Reconciler}. */
export interface ReconcilerOptions {
  /** Largest message produced, in bytes (default 1100, a safe datagram). At least {@link MIN_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
  /**
   * A differing range holding at most this many of my items is sent as an id list rather than
   * split again (default 32, at most 48 so an `items` record fits the smallest budget).
   */
  readonly itemThreshold?: number;
}

/** What one received message produced. */
export interface ReconcileStep {
  /** The message to send back, or undefined when nothing needs saying. */
  readonly reply: Uint8Array | undefined;
  /** True when this side has nothing left to send and awaits nothing. */
  readonly done: boolean;
  /**
   * Keys newly found (once per session) whose item I hold and the peer does not: it lacks the
   * key or holds another version. Push their entries; LWW merge keeps the newer. Keys I lack
   * appear in the peer's list, where they can be named.
   */
  readonly theyMayNeed: readonly string[];
}

/**
 * One range-based set reconciliation session with one peer (Meyer 2022, "Range-Based Set
 * Reconciliation"), over a {@link ReconcileIndex}. Both peers run the same code: the initiator
 * sends the whole-set fingerprint; each side answers every range whose fingerprints differ by
 * splitting it in 16 (§3.3) or, once small, by listing its item ids; the receiver of a list
 * reports the ids it lacks (`want`). Every difference is found by the side holding the item.
 *
 * Guarantees: every message is at most `maxMessageBytes`; records that do not fit wait for the
 * next message (each message is useful alone). Messages alternate, and every non-empty message
 * is answered, so a lost message is repaired by {@link Reconciler.resend}; processing a message
 * twice is harmless. Messages are decoded totally: bad bytes give `{ ok: false }`.
 */
export class Reconciler {
  readonly #index: ReconcileIndex;
  readonly #maxMessageBytes: number;
  readonly #itemThreshold: number;
  #queue: ReconcileRecord[] = [];
  readonly #queued = new Set<string>();
  readonly #reported = new Set<string>();
  #lastSent: Uint8Array | undefined;

  constructor(index: ReconcileIndex, options: ReconcilerOptions = {}) {
    const maxMessageBytes = options.maxMessageBytes ?? 1100;
    const itemThreshold = options.itemThreshold ?? 32;
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < MIN_MESSAGE_BYTES)
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        `maxMessageBytes must be an integer ≥ ${MIN_MESSAGE_BYTES}`,
      );
    if (!Number.isInteger(itemThreshold) || itemThreshold < 1 || itemThreshold > 48)
      throw new ShoalError(ErrorCode.InvalidArgument, 'itemThreshold must be an integer in [1, 48]');
    this.#index = index;
    this.#maxMessageBytes = maxMessageBytes;
    this.#itemThreshold = itemThreshold;
  }

  /**
   * The first message: the whole-set fingerprint (about 14 bytes). When the sets are equal,
   * the peer answers with an empty message and both sides are done after one round trip.
   *
   * With `sketch`, the message also carries a six-cell difference sketch (about 90 bytes
   * more): when the sets differ by one or two items (one changed key), the peer decodes them
   * and the sync completes in one round trip; otherwise it falls back to splitting ranges.
   * Worth it when differences are expected (after a reconnect), not on every idle round.
   */
  initiate(options: { readonly sketch?: boolean } = {}): Uint8Array {
    const summary = summarize(this.#index.fingerprint(ROOT_RANGE));
    this.#enqueue(
      options.sketch === true
        ? { kind: 'sketch', range: ROOT_RANGE, summary, cells: this.#index.sketch() }
        : { kind: 'fingerprint', range: ROOT_RANGE, summary },
    );
    return this.#flush();
  }

  /** Processes a peer's message. Undecodable bytes change nothing and give `{ ok: false }`. */
  receive(message: Uint8Array): DecodeResult<ReconcileStep> {
    const decoded = decodeReconcileMessage(message);
    if (!decoded.ok) return decoded;
    this.#lastSent = undefined;
    const found: string[] = [];
    for (const record of decoded.value) this.#process(record, found);
    if (this.#queue.length === 0 && decoded.value.length === 0)
      return { ok: true, value: { reply: undefined, done: true, theyMayNeed: found } };
    const reply = this.#flush();
    return { ok: true, value: { reply, done: this.#lastSent === undefined, theyMayNeed: found } };
  }

  /**
   * The last message sent, when it carried records and nothing has arrived since: send it
   * again after a timeout (the engine owns the clock). Undefined when no answer is awaited.
   */
  resend(): Uint8Array | undefined {
    return this.#lastSent;
  }

  #process(record: ReconcileRecord, found: string[]): void {
    switch (record.kind) {
      case 'fingerprint':
        this.#compare(record.range, record.summary, found);
        return;
      case 'split':
        record.children.forEach((child, digit) => {
          this.#compare(childRange(record.range, digit), child, found);
        });
        return;
      case 'items':
        this.#compareItems(record.range, record.ids, found);
        return;
      case 'want': {
        const wanted = new Set(record.ids);
        for (const item of this.#index.items(record.range))
          if (wanted.has(item.digest[0]!)) this.#report(item.key, found);
        return;
      }
      case 'sketch':
        this.#compareSketch(record.summary, record.cells, found);
        return;
      case 'elements':
        for (const element of record.elements)
          for (const item of this.#index.itemsAt(element)) this.#report(item.key, found);
    }
  }

  /** Meyer 2022 §3.3: equal ranges are done; otherwise answer with finer information. */
  #compare(range: PrefixRange, theirs: WireSummary, found: string[]): void {
    const mine = this.#index.fingerprint(range);
    if (mine.count === theirs.count && (mine.count === 0 || sameBytes(fingerprintBytes(mine), theirs.sum)))
      return;
    if (theirs.count === 0) {
      for (const item of this.#index.items(range)) this.#report(item.key, found);
    } else if (mine.count === 0) {
      this.#enqueue({ kind: 'fingerprint', range, summary: summarize(mine) });
    } else if (mine.count <= this.#itemThreshold || range.depth === MAX_DEPTH) {
      const ids = this.#index.items(range).map((item) => item.digest[0]!);
      this.#enqueue({ kind: 'items', range, ids });
    } else {
      const children: WireSummary[] = [];
      for (let digit = 0; digit < BRANCHING; digit++)
        children.push(summarize(this.#index.fingerprint(childRange(range, digit))));
      this.#enqueue({ kind: 'split', range, children });
    }
  }

  /**
   * The fast path: decode the sketches' difference (Eppstein et al. 2011). I report the items
   * only I hold and send back the elements only the peer holds, for it to name. A decode that
   * fails, or disagrees with the whole-set count and fingerprint, falls back to ranges.
   */
  #compareSketch(theirs: WireSummary, cells: Uint32Array, found: string[]): void {
    const mine = this.#index.fingerprint(ROOT_RANGE);
    const difference =
      theirs.count > 0 && mine.count > 0 ? decodeDifference(cells, this.#index.sketch()) : undefined;
    if (difference === undefined || !this.#consistent(difference, mine, theirs)) {
      this.#compare(ROOT_RANGE, theirs, found);
      return;
    }
    for (const element of difference.minus)
      for (const item of this.#index.itemsAt(element)) this.#report(item.key, found);
    if (difference.plus.length > 0)
      this.#enqueue({ kind: 'elements', range: ROOT_RANGE, elements: difference.plus });
  }

  /**
   * A decoded difference must explain the count gap, the low 32 bits of the sums (lane 0 of
   * the fingerprint is the sum of the ids), and name items I hold for every element I lack.
   */
  #consistent(difference: SketchDifference, mine: Fingerprint, theirs: WireSummary): boolean {
    if (difference.plus.length - difference.minus.length !== theirs.count - mine.count) return false;
    let lane = mine.sum[0]!;
    for (const element of difference.plus) lane = (lane + element.id) >>> 0;
    for (const element of difference.minus) lane = (lane - element.id) >>> 0;
    const theirLane = new DataView(theirs.sum.buffer, theirs.sum.byteOffset).getUint32(4);
    return lane === theirLane && difference.minus.every((element) => this.#index.itemsAt(element).length > 0);
  }

  /** The peer listed every id it holds in `range`: report my extras, ask for theirs. */
  #compareItems(range: PrefixRange, ids: readonly number[], found: string[]): void {
    const theirs = new Set(ids);
    const mine = new Set<number>();
    for (const item of this.#index.items(range)) {
      mine.add(item.digest[0]!);
      if (!theirs.has(item.digest[0]!)) this.#report(item.key, found);
    }
    const wanted = [...theirs].filter((id) => !mine.has(id));
    if (wanted.length > 0) this.#enqueue({ kind: 'want', range, ids: wanted });
  }

  #report(key: string, found: string[]): void {
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    found.push(key);
  }

  #enqueue(record: ReconcileRecord): void {
    const id = `${record.kind}/${rangeId(record.range)}`;
    if (this.#queued.has(id)) return;
    this.#queued.add(id);
    this.#queue.push(record);
  }

  /** Packs queued records into one message within budget; the rest wait for the next one. */
  #flush(): Uint8Array {
    const writer = new ByteWriter(this.#maxMessageBytes);
    writer.writeU8(RECONCILE_PROTOCOL);
    let taken = 0;
    for (const record of this.#queue) {
      const bytes = encodeRecord(record);
      // A record never fits a later message better, so an oversized one goes out alone.
      if (taken > 0 && writer.length + bytes.length > this.#maxMessageBytes) break;
      writer.writeRaw(bytes);
      this.#queued.delete(`${record.kind}/${rangeId(record.range)}`);
      taken++;
    }
    this.#queue = this.#queue.slice(taken);
    const message = writer.finish();
    this.#lastSent = taken > 0 ? message : undefined;
    return message;
  }
}

function summarize(fingerprint: Fingerprint): WireSummary {
  return {
    count: fingerprint.count,
    sum: fingerprint.count > 0 ? fingerprintBytes(fingerprint) : new Uint8Array(0),
  };
}
