import { sha256 } from '@noble/hashes/sha2.js';
import type { NodeId } from '../ids/node-id.js';
import { readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';

/** Most bytes a fragment header takes: message id, index and count varints. */
export const FRAGMENT_HEADER_BYTES = 8 + 3 + 3;

/**
 * Cuts an envelope too large for one datagram into fragment bodies of at most `pieceBytes`
 * payload each: `[message id varint][index varint][count varint][piece]`. Only an entry larger
 * than a whole datagram needs this; everything else is chunked so each chunk is useful alone.
 *
 * The message id is 48 bits of SHA-256 of the envelope: when anti-entropy sends the same
 * content again, its pieces join the ones already held, so a large entry gets through a lossy
 * link after a few rounds instead of needing every piece of one attempt.
 */
export function fragment(envelope: Uint8Array, pieceBytes: number): Uint8Array[] {
  const digest = sha256(envelope);
  let messageId = 0;
  for (let i = 0; i < 6; i++) messageId = messageId * 256 + (digest[i] as number);
  const count = Math.ceil(envelope.length / pieceBytes);
  const bodies: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const piece = envelope.subarray(index * pieceBytes, (index + 1) * pieceBytes);
    bodies.push(
      new ByteWriter(FRAGMENT_HEADER_BYTES + piece.length)
        .writeVarint(messageId)
        .writeVarint(index)
        .writeVarint(count)
        .writeRaw(piece)
        .finish(),
    );
  }
  return bodies;
}

/** Limits of a {@link Reassembler}. */
export interface ReassemblyLimits {
  /** Largest message reassembled; fragments announcing more are dropped. */
  readonly maxMessageBytes: number;
  /**
   * Memory held across all incomplete messages, counting each message's and each piece's
   * bookkeeping ({@link MESSAGE_OVERHEAD_BYTES}, {@link PIECE_OVERHEAD_BYTES}) as well as the
   * piece bytes; the oldest messages are dropped beyond it.
   */
  readonly maxPendingBytes: number;
  /** An incomplete message older than this (monotonic ms) is dropped. */
  readonly timeoutMs: number;
  /**
   * Incomplete messages held per sender; a sender starting one more loses its own oldest, so
   * one peer cannot crowd out the others' messages. Default {@link DEFAULT_MAX_PENDING_PER_SENDER}.
   */
  readonly maxPendingPerSender?: number;
}

/** Default {@link ReassemblyLimits.maxPendingPerSender}: a few anti-entropy rounds of large entries. */
export const DEFAULT_MAX_PENDING_PER_SENDER = 64;
/** Bytes charged for each incomplete message (its key, record and piece map), whatever it holds. */
export const MESSAGE_OVERHEAD_BYTES = 512;
/** Bytes charged for each piece held, on top of its payload (its typed array and map entry). */
export const PIECE_OVERHEAD_BYTES = 128;

interface Pending {
  readonly from: NodeId;
  readonly started: number;
  readonly count: number;
  /** Pieces received so far by index: memory follows what arrived, not what was announced. */
  readonly pieces: Map<number, Uint8Array>;
  /** Payload bytes received. */
  bytes: number;
  /** What this message is charged against `maxPendingBytes`. */
  charged: number;
}

/** Counters of a {@link Reassembler}. */
export interface ReassemblerStats {
  /** Incomplete messages held. */
  readonly pendingMessages: number;
  /** Bytes charged for them (payload and bookkeeping), at most `maxPendingBytes`. */
  readonly pendingBytes: number;
  /** Fragments that did not decode, plus incomplete messages dropped (limits, timeout). */
  readonly dropped: number;
}

/**
 * Puts fragmented messages back together, within fixed memory: a peer cannot make this node
 * hold more than `maxPendingBytes` (bookkeeping included: an announced piece count costs
 * nothing until pieces arrive), nor more than `maxPendingPerSender` incomplete messages, nor
 * one message beyond `maxMessageBytes`, nor keep anything past `timeoutMs`. Each fragment costs
 * O(1) amortised work (lookups by key; expiry and eviction walk from the oldest and stop at
 * the first survivor). Fragments arrive already authenticated (each is sealed on its own), so
 * a forger cannot inject pieces; duplicates and reordering are harmless. Never throws.
 */
export class Reassembler {
  readonly #limits: ReassemblyLimits;
  readonly #perSender: number;
  /** Incomplete messages in the order they started, which is also the order they expire. */
  readonly #pending = new Map<string, Pending>();
  /** Keys of each sender's incomplete messages, oldest first. */
  readonly #bySender = new Map<NodeId, Set<string>>();
  /** Recently completed messages, so late duplicate pieces do not start them over. */
  readonly #completed = new Map<string, number>();
  #pendingBytes = 0;
  dropped = 0;

  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
    this.#perSender = Math.max(1, limits.maxPendingPerSender ?? DEFAULT_MAX_PENDING_PER_SENDER);
  }

  /** Bytes charged for incomplete messages: payload plus bookkeeping. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** A snapshot of the counters. */
  stats(): ReassemblerStats {
    return { pendingMessages: this.#pending.size, pendingBytes: this.#pendingBytes, dropped: this.dropped };
  }

  /** Adds one fragment body from `from`; returns the whole envelope once its last piece is in. */
  add(from: NodeId, body: Uint8Array, now: number): Uint8Array | undefined {
    this.#expire(now);
    const decoded = readAll(body, (reader) => {
      const messageId = reader.readVarint();
      const index = reader.readVarint();
      const count = reader.readBoundedVarint(Math.ceil(this.#limits.maxMessageBytes / 64));
      if (count < 2 || index >= count) reader.fail('bad fragment index');
      return { messageId, index, count, piece: reader.readRaw(reader.remaining).slice() };
    });
    if (!decoded.ok) {
      this.dropped++;
      return undefined;
    }
    const { messageId, index, count, piece } = decoded.value;
    const key = `${from}/${messageId}`;
    if (this.#completed.has(key)) return undefined;
    const pending = this.#pending.get(key) ?? this.#start(key, from, count, now);
    if (pending.count !== count || pending.pieces.has(index)) return undefined;
    if (pending.bytes + piece.length > this.#limits.maxMessageBytes) {
      this.#drop(key, pending);
      return undefined;
    }
    pending.pieces.set(index, piece);
    pending.bytes += piece.length;
    this.#charge(pending, piece.length + PIECE_OVERHEAD_BYTES);
    if (pending.pieces.size < count) {
      this.#evictBeyondLimit();
      return undefined;
    }
    this.#remove(key, pending);
    this.#completed.set(key, now);
    const whole = new Uint8Array(pending.bytes);
    let offset = 0;
    for (let each = 0; each < count; each++) {
      const part = pending.pieces.get(each) as Uint8Array;
      whole.set(part, offset);
      offset += part.length;
    }
    return whole;
  }

  #start(key: string, from: NodeId, count: number, now: number): Pending {
    let keys = this.#bySender.get(from);
    if (keys === undefined) {
      keys = new Set();
      this.#bySender.set(from, keys);
    }
    if (keys.size >= this.#perSender) {
      const oldest = keys.values().next().value as string;
      this.#drop(oldest, this.#pending.get(oldest) as Pending);
    }
    const pending: Pending = { from, started: now, count, pieces: new Map(), bytes: 0, charged: 0 };
    this.#pending.set(key, pending);
    keys.add(key);
    this.#charge(pending, MESSAGE_OVERHEAD_BYTES);
    return pending;
  }

  #charge(pending: Pending, bytes: number): void {
    pending.charged += bytes;
    this.#pendingBytes += bytes;
  }

  #expire(now: number): void {
    for (const [key, pending] of this.#pending) {
      if (now - pending.started <= this.#limits.timeoutMs) break;
      this.#drop(key, pending);
    }
    for (const [key, at] of this.#completed) {
      if (now - at <= this.#limits.timeoutMs && this.#completed.size <= 1024) break;
      this.#completed.delete(key);
    }
  }

  #evictBeyondLimit(): void {
    for (const [key, pending] of this.#pending) {
      if (this.#pendingBytes <= this.#limits.maxPendingBytes) return;
      this.#drop(key, pending);
    }
  }

  #drop(key: string, pending: Pending): void {
    this.#remove(key, pending);
    this.dropped++;
  }

  #remove(key: string, pending: Pending): void {
    this.#pending.delete(key);
    this.#pendingBytes -= pending.charged;
    const keys = this.#bySender.get(pending.from);
    keys?.delete(key);
    if (keys?.size === 0) this.#bySender.delete(pending.from);
  }
}
