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
  /** Bytes held across all incomplete messages; the oldest are dropped beyond it. */
  readonly maxPendingBytes: number;
  /** An incomplete message older than this (monotonic ms) is dropped. */
  readonly timeoutMs: number;
}

interface Pending {
  readonly started: number;
  readonly pieces: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
}

/**
 * Puts fragmented messages back together, within fixed memory: a peer cannot make this node
 * hold more than `maxPendingBytes`, nor one message beyond `maxMessageBytes`, nor keep anything
 * past `timeoutMs`. Fragments arrive already authenticated (each is sealed on its own), so a
 * forger cannot inject pieces; duplicates and reordering are harmless. Never throws.
 */
export class Reassembler {
  readonly #limits: ReassemblyLimits;
  readonly #pending = new Map<string, Pending>();
  /** Recently completed messages, so late duplicate pieces do not start them over. */
  readonly #completed = new Map<string, number>();
  #pendingBytes = 0;
  dropped = 0;

  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
  }

  /** Bytes held in incomplete messages. */
  get pendingBytes(): number {
    return this.#pendingBytes;
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
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = { started: now, pieces: new Array(count).fill(undefined), received: 0, bytes: 0 };
      this.#pending.set(key, pending);
    }
    if (pending.pieces.length !== count || pending.pieces[index] !== undefined) return undefined;
    if (pending.bytes + piece.length > this.#limits.maxMessageBytes) {
      this.#drop(key, pending);
      return undefined;
    }
    pending.pieces[index] = piece;
    pending.received++;
    pending.bytes += piece.length;
    this.#pendingBytes += piece.length;
    if (pending.received < count) {
      this.#evictBeyondLimit();
      return undefined;
    }
    this.#pending.delete(key);
    this.#pendingBytes -= pending.bytes;
    this.#completed.set(key, now);
    const whole = new Uint8Array(pending.bytes);
    let offset = 0;
    for (const each of pending.pieces as Uint8Array[]) {
      whole.set(each, offset);
      offset += each.length;
    }
    return whole;
  }

  #expire(now: number): void {
    for (const [key, pending] of this.#pending) {
      if (now - pending.started > this.#limits.timeoutMs) this.#drop(key, pending);
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
    this.#pending.delete(key);
    this.#pendingBytes -= pending.bytes;
    this.dropped++;
  }
}
