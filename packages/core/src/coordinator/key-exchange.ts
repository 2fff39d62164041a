import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { SIGNING_PUBLIC_KEY_BYTES } from '../ports/signer.js';
import type { TimerPort } from '../ports/timer-port.js';
import { MessageType } from '../protocol/message-type.js';
import type { PeerKeys } from '../security/peer-keys.js';
import { readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';

/** Hello flag: the sender does not know our key and asks for a hello back. */
const WANTS_REPLY = 1;
/** Least time between two hellos to one peer, in ms (a lost one is sent again after it). */
const HELLO_INTERVAL_MS = 1000;
/**
 * The first repeat of an unanswered hello leaves this soon, and each later one twice as long
 * after the last, up to {@link HELLO_INTERVAL_MS}: under loss a lost hello then costs a
 * quarter of a second, not a second, while a peer that never answers still gets one a second.
 */
const FIRST_HELLO_RETRY_MS = 250;
/** Most messages held for one peer whose key is not known yet; the oldest go first. */
const MAX_HELD_PER_PEER = 64;
/**
 * How long a held message stays worth sending, in ms: past it the protocol that sent it has
 * tried again (a probe timed out, a round began), and the old copy would only repeat work.
 */
const HELD_FOR_MS = 2 * HELLO_INTERVAL_MS;
/** Most peers with held messages; a new one evicts the longest-waiting peer's messages. */
const MAX_HELD_PEERS = 256;
/** Most bytes held for all peers together; beyond it the longest-waiting peer's go first. */
const MAX_HELD_BYTES = 4 * 1024 * 1024;

/** A decoded hello body (docs/protocol.md §5.6). */
export interface HelloBody {
  readonly publicKey: Uint8Array;
  readonly wantsReply: boolean;
}

/** `public key [32], flags u8` (bit 0: wants a hello back); other flag bits must be zero. */
export function encodeHello(body: HelloBody): Uint8Array {
  return new ByteWriter(SIGNING_PUBLIC_KEY_BYTES + 1)
    .writeRaw(body.publicKey)
    .writeU8(body.wantsReply ? WANTS_REPLY : 0)
    .finish();
}

/** Total on any bytes: a {@link HelloBody}, or why the bytes are not one. */
export function decodeHello(bytes: Uint8Array) {
  return readAll(bytes, (reader): HelloBody => {
    const publicKey = reader.readRaw(SIGNING_PUBLIC_KEY_BYTES);
    const flags = reader.readU8();
    if ((flags & ~WANTS_REPLY) !== 0) reader.fail(`unknown hello flags ${flags}`);
    return { publicKey, wantsReply: (flags & WANTS_REPLY) !== 0 };
  });
}

/** What the exchange needs from the courier. */
export interface KeyExchangeDeps {
  readonly keys: PeerKeys;
  readonly timers: TimerPort;
  /** How long a sync round waits for an answer, in ms (`pullTimeout`). */
  readonly roundTimeout: number;
  /** Seals `body` under the network key (never pair-sealed) and sends it to `to` as a hello. */
  readonly sendHello: (to: NodeId, body: Uint8Array) => void;
  /** Sends a message that was held until `to`'s key became known. */
  readonly resend: (to: NodeId, type: MessageType, body: Uint8Array) => void;
  readonly report: (error: ShoalError) => void;
}

/**
 * How two nodes learn each other's public keys so they can pair-seal (ADR 0045): a hello carries
 * the sender's key, sealed under the network key (the only message a pairing node takes without
 * pair sealing).
 *
 * - Sending to a peer whose key is unknown: the message is held and a hello asking for one back
 *   goes out; the held messages leave, pair-sealed, as soon as the answer arrives. Held: at
 *   most {@link MAX_HELD_PER_PEER} per peer, {@link MAX_HELD_PEERS} peers and
 *   {@link MAX_HELD_BYTES} in all, none older than {@link HELD_FOR_MS} (the protocols have sent
 *   those again), no digest whose round has timed out.
 * - Sending to a peer that has not yet proven it knows our key (no pair-sealed message from it
 *   yet): an unasked hello goes first, so the message that follows can be opened.
 * - A pair-sealed message from a sender whose key we lack: we ask it for a hello.
 * Hellos to one peer are repeated after {@link FIRST_HELLO_RETRY_MS}, then backing off to once
 * per {@link HELLO_INTERVAL_MS}; a lost one is repaired by the next send. A hello's key is only a candidate until a pair-sealed message opens under it
 * ({@link PeerKeys}), so a forged hello cannot take a live node's id.
 */
export class KeyExchange {
  readonly #deps: KeyExchangeDeps;
  /** Per peer, when our last hello left and how long to wait before the next. */
  readonly #lastHello = new Map<NodeId, { at: number; gap: number }>();
  readonly #held = new Map<NodeId, Array<{ type: MessageType; body: Uint8Array; at: number }>>();
  #heldBytes = 0;
  #refused = 0;

  constructor(deps: KeyExchangeDeps) {
    this.#deps = deps;
  }

  /** Hellos whose key was refused: another key holds the id and was heard recently. */
  get refused(): number {
    return this.#refused;
  }

  /** The announcement body (multicast, hub hello): our key, asking nothing back. */
  announcement(): Uint8Array {
    return encodeHello({ publicKey: this.#deps.keys.publicKey, wantsReply: false });
  }

  /**
   * Called before a message to `to` leaves. `false`: `to`'s key is unknown, so the message is
   * held and a hello asks for the key. `true`: send it now (after a hello of ours if `to` has
   * not shown it knows our key).
   */
  beforeSend(to: NodeId, type: MessageType, body: Uint8Array): boolean {
    const { keys } = this.#deps;
    if (!keys.knows(to)) {
      this.#hold(to, type, body);
      this.#hello(to, true);
      return false;
    }
    if (keys.publicKeyOf(to) === undefined) this.#hello(to, false);
    return true;
  }

  /** A transport reports `peer` reachable: ask for its key now if we lack it. */
  introduce(peer: NodeId): void {
    if (!this.#deps.keys.knows(peer)) this.#hello(peer, true);
  }

  /** A pair-sealed message from `from` could not open: we lack its key. */
  unknownKey(from: NodeId): void {
    this.#hello(from, true);
  }

  /**
   * Takes a hello from `from` (already opened under the network key). `taken` runs first when
   * its key is taken (bound already, or a candidate now), before any answer leaves.
   */
  handleHello(from: NodeId, hello: HelloBody, taken: () => void): void {
    const offer = this.#deps.keys.offer(from, hello.publicKey);
    if (offer === 'refused') {
      this.#refused++;
      this.#deps.report(
        new ShoalError(
          ErrorCode.AuthFailed,
          `refused a new key for ${from}: its current key was heard from within the last 30 s`,
          { details: { peer: from } },
        ),
      );
      return;
    }
    if (offer === 'invalid') return;
    taken();
    if (hello.wantsReply) this.#hello(from, false, true);
    const held = this.#held.get(from);
    if (held === undefined || !this.#deps.keys.knows(from)) return;
    this.#release(from);
    const now = this.#deps.timers.monotonic();
    for (const { type, body, at } of held) {
      // A digest whose round has timed out is not sent: the next round sends a fresh one, and
      // an answer to the stale one would repeat that round's work.
      const maxAge = type === MessageType.Digest ? this.#deps.roundTimeout : HELD_FOR_MS;
      if (now - at <= maxAge) this.#deps.resend(from, type, body);
    }
  }

  #hold(to: NodeId, type: MessageType, body: Uint8Array): void {
    const now = this.#deps.timers.monotonic();
    const held = this.#held.get(to) ?? [];
    if (held.length === 0 && this.#held.size >= MAX_HELD_PEERS) this.#release(this.#oldestHeld());
    // What waited longer than any of it may be sent is dropped now, not at the answer.
    while (
      held.length > 0 &&
      (now - (held[0]?.at ?? now) > HELD_FOR_MS || held.length >= MAX_HELD_PER_PEER)
    ) {
      this.#heldBytes -= held.shift()?.body.length ?? 0;
    }
    held.push({ type, body, at: now });
    this.#heldBytes += body.length;
    this.#held.set(to, held);
    while (this.#heldBytes > MAX_HELD_BYTES && this.#held.size > 1) this.#release(this.#oldestHeld());
  }

  /** The peer whose messages have waited longest. */
  #oldestHeld(): NodeId {
    return this.#held.keys().next().value as NodeId;
  }

  /** Takes `peer`'s held messages out of the count (they are sent or dropped). */
  #release(peer: NodeId): void {
    for (const message of this.#held.get(peer) ?? []) this.#heldBytes -= message.body.length;
    this.#held.delete(peer);
  }

  /** Sends a hello to `to` unless the last one left too recently (see {@link FIRST_HELLO_RETRY_MS}). */
  #hello(to: NodeId, wantsReply: boolean, answer = false): void {
    const now = this.#deps.timers.monotonic();
    const last = this.#lastHello.get(to);
    const since = last === undefined ? Number.POSITIVE_INFINITY : now - last.at;
    if (since < (answer ? HELLO_INTERVAL_MS / 4 : (last?.gap ?? 0))) return;
    // A hello long after the last starts a new exchange: back to the short first repeat.
    const gap =
      last === undefined || since > 2 * HELLO_INTERVAL_MS
        ? FIRST_HELLO_RETRY_MS
        : Math.min(2 * last.gap, HELLO_INTERVAL_MS);
    this.#lastHello.delete(to);
    this.#lastHello.set(to, { at: now, gap });
    if (this.#lastHello.size > MAX_HELD_PEERS * 16) {
      this.#lastHello.delete(this.#lastHello.keys().next().value as NodeId);
    }
    this.#deps.sendHello(to, encodeHello({ publicKey: this.#deps.keys.publicKey, wantsReply }));
  }
}
