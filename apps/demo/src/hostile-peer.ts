import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  ByteWriter,
  DEFAULT_LIMITS,
  encodeValue,
  Keyring,
  MAX_WALL,
  MessageSealer,
  type NodeId,
  nobleEd25519,
  PeerKeys,
  parseInvite,
  type RandomPort,
} from '@shoal/core';
import { decodeFrame, encodeFrame } from '@shoal/transport-udp';
import {
  decodeEnvelope,
  decodeHello,
  encodeDelta,
  encodeEnvelope,
  encodeHello,
  encodeMembershipMessage,
  MAX_INCARNATION,
  MessageType,
  mapSetMessage,
  type OutgoingObject,
} from './core-internals.js';

/** A node the hostile peer can reach: its id, and the address and port it binds. */
export interface HostileTarget {
  readonly id: NodeId;
  readonly host: string;
  readonly port: number;
}

/** How many of each attack the hostile peer sent, for the soak's summary. */
export interface HostileStats {
  /** SWIM pings accusing a node at incarnation 2^53 - 1 (and at MAX_INCARNATION - 1). */
  incarnationPings: number;
  /** Sets in an honest node's name signed at MAX_WALL by another key (what range claims were). */
  futureClaims: number;
  /** Stream entries forged in an honest author's name at its next sequence numbers. */
  forgedEntries: number;
  /** One-piece fragments of messages that never complete, each with a fresh message id. */
  fragments: number;
  /** Map values over `maxValueBytes`. */
  oversizedValues: number;
  /** Map keys whose UTF-8 encodes a lone surrogate. */
  surrogateKeys: number;
  /** Map and stream entries stamped a year ahead. */
  futureEntries: number;
  /** Datagrams captured before a node's restart, sent to it again after. */
  replayedAfterRestart: number;
}

/** Where the soak's workload writes (see `node-process.ts`): the objects attacked. */
const CHANNEL = 'demo';
const MAP = 'sensors';
const STREAM = 'chat';
/** Datagrams kept per target for replays after its restart. */
const KEPT = 256;
const YEAR_MS = 365 * 24 * 3600_000;
/** "\u0800" in UTF-8; the same bytes with 0xED first encode the lone surrogate U+D800 (WTF-8). */
const SURROGATE_STAND_IN = [0xe0, 0xa0, 0x80] as const;

/**
 * A peer that holds the network secret and misbehaves, over the real wire: every datagram is
 * framed as `UdpTransport` frames it and pair-sealed by core's own {@link MessageSealer}, as a
 * member with an identity key of its own, so it authenticates and reaches the code behind the
 * sealing layer, unlike a forger without the key. It sends from its own socket straight to a
 * node's port (an attacker on the LAN needs no relay). Each attack goes out under a fresh
 * sender id with a fresh identity key: a node that quarantines one sender (a clock far ahead)
 * still sees the next attack.
 *
 * It never joins: it learns each target's key from the hello the target answers with (ADR
 * 0045), introduces each of its ids with a hello, and ignores everything else nodes send back.
 */
export class HostilePeer {
  readonly stats: HostileStats = {
    incarnationPings: 0,
    futureClaims: 0,
    forgedEntries: 0,
    fragments: 0,
    oversizedValues: 0,
    surrogateKeys: 0,
    futureEntries: 0,
    replayedAfterRestart: 0,
  };
  readonly #socket: Socket;
  readonly #keyring: Keyring;
  readonly #networkId: string;
  readonly #runId: string;
  readonly #random: RandomPort;
  /** The last datagrams sent to each target, as sent: what a replay after its restart resends. */
  readonly #sent = new Map<NodeId, Uint8Array[]>();
  #senders = 0;
  /** Each target's public key, from its answering hello. */
  readonly #targetKeys = new Map<NodeId, Uint8Array>();
  /** Attacks waiting for a target's key, sent as soon as its hello arrives. */
  readonly #waiting = new Map<NodeId, Array<() => void>>();
  /** Opens the targets' hellos (sealed under the network key; everything else is ignored). */
  readonly #listener: MessageSealer;

  private constructor(socket: Socket, invite: string, runId: string, random: RandomPort) {
    this.#socket = socket;
    const { networkId, secret } = parseInvite(invite);
    this.#networkId = networkId;
    this.#keyring = new Keyring(networkId, [secret]);
    this.#runId = runId;
    this.#random = random;
    this.#listener = new MessageSealer({
      networkId,
      self: `mallory-listener-${runId}` as NodeId,
      epoch: 1,
      keyring: this.#keyring,
    });
    socket.on('message', (bytes) => this.#receive(bytes));
  }

  /**
   * Binds a socket on `host` (default 127.0.0.1; with namespace hosts, the address they all
   * reach) and derives the network key from `invite`.
   */
  static async open(
    invite: string,
    runId: string,
    random: RandomPort,
    host = '127.0.0.1',
  ): Promise<HostilePeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => resolve());
    });
    return new HostilePeer(socket, invite, runId, random);
  }

  /**
   * SWIM pings telling `target` it is suspected at incarnation 2^53 - 1 (beyond what the wire
   * admits) and at MAX_INCARNATION - 1 (admitted, far above its own): a node that refuted by
   * adopting either would persist an incarnation it cannot restart with.
   */
  incarnationBomb(target: HostileTarget): void {
    const send = this.#sender(target, this.#nextId('incarnation'));
    for (const suspectedIncarnation of [2 ** 53 - 1, MAX_INCARNATION - 1]) {
      const ping = encodeMembershipMessage({ type: 'ping', seq: 1, target: target.id, suspectedIncarnation });
      send(encodeEnvelope(MessageType.Membership, ping));
      this.stats.incarnationPings++;
    }
  }

  /**
   * A set in `writer`'s name signed at MAX_WALL with a key of this peer's (what a range claim
   * to MAX_WALL was before ADR 0058): a node that took it would skip the writer's writes.
   */
  futureClaim(target: HostileTarget, writer: NodeId): void {
    const secretKey = new Uint8Array(randomBytes(32));
    const version = { wall: MAX_WALL, counter: 0 };
    const signature = nobleEd25519.sign(secretKey, mapSetMessage(MAP, writer, version, new Uint8Array(32)));
    const signed = { version, signature, publicKey: nobleEd25519.publicKey(secretKey) };
    const from = { wall: 0, counter: 0 };
    this.#delta(this.#nextId('claim'), target, [
      {
        kind: 'map',
        name: MAP,
        proofs: [{ kind: 'whole', writer, from, signed, entries: 0, ghosts: 0 }],
        entries: [],
        ghosts: [],
      },
    ]);
    this.stats.futureClaims++;
  }

  /**
   * Entries `seqs` of `author`'s stream, forged with other payloads (`forged:<seq>`) and stamped
   * now: a replica that gets one before the author's own holds a conflicting entry.
   */
  forgeEntries(target: HostileTarget, author: NodeId, seqs: readonly number[]): void {
    const now = Date.now();
    const entries = seqs.map((seq, i) => ({
      author,
      seq,
      wall: now + i,
      counter: 0,
      payload: new TextEncoder().encode(`forged:${seq}`),
    }));
    this.#delta(this.#nextId('forge'), target, [{ kind: 'stream', name: STREAM, entries }]);
    this.stats.forgedEntries += entries.length;
  }

  /**
   * `count` first pieces of two-piece messages, each under a fresh message id, spread over a few
   * sender ids: the node must bound what it holds for messages that never complete.
   */
  fragmentFlood(target: HostileTarget, count: number): void {
    const senders = Array.from({ length: 4 }, () => this.#sender(target, this.#nextId('fragments')));
    for (let i = 0; i < count; i++) {
      const messageId = Math.floor(this.#random.next() * 2 ** 48);
      const piece = new ByteWriter(16)
        .writeVarint(messageId)
        .writeVarint(0)
        .writeVarint(2)
        .writeU8(i & 255);
      (senders[i % senders.length] as (envelope: Uint8Array) => void)(
        encodeEnvelope(MessageType.Fragment, piece.finish()),
      );
    }
    this.stats.fragments += count;
  }

  /** Map values one byte over `maxValueBytes` (deflated on the wire, so one datagram carries them). */
  oversizedValues(target: HostileTarget): void {
    const id = this.#nextId('oversized');
    const value = 'x'.repeat(DEFAULT_LIMITS.maxValueBytes + 1);
    const entries = [0, 1].map((i) => mapEntry(`oversized-${id}-${i}`, value, Date.now(), id));
    this.#delta(id, target, [{ kind: 'map', name: MAP, proofs: [], ghosts: [], entries }]);
    this.stats.oversizedValues += entries.length;
  }

  /** Map keys whose bytes are the WTF-8 of a lone surrogate: not UTF-8, no string to hold. */
  surrogateKeys(target: HostileTarget): void {
    const id = this.#nextId('surrogate');
    const entries = [0, 1, 2].map((i) => mapEntry(`lone-\u0800-${id}-${i}`, i, Date.now(), id));
    const objects: OutgoingObject[] = [{ kind: 'map', name: MAP, proofs: [], ghosts: [], entries }];
    const body = encodeDelta({ channel: CHANNEL, push: true, final: false, fresh: false, objects });
    // Encoders never write a lone surrogate (TextEncoder replaces it), so patch the bytes.
    for (let i = 0; i + 2 < body.length; i++) {
      if (SURROGATE_STAND_IN.every((byte, j) => body[i + j] === byte)) body[i] = 0xed;
    }
    this.#sender(target, id)(encodeEnvelope(MessageType.Delta, body));
    this.stats.surrogateKeys += entries.length;
  }

  /** A map entry and a stream entry of the sender's own, stamped a year ahead of now. */
  futureEntries(target: HostileTarget): void {
    const id = this.#nextId('future');
    const wall = Date.now() + YEAR_MS;
    const payload = new TextEncoder().encode('from the future');
    this.#delta(id, target, [
      { kind: 'map', name: MAP, proofs: [], ghosts: [], entries: [mapEntry(`future-${id}`, 1, wall, id)] },
      { kind: 'stream', name: STREAM, entries: [{ author: id, seq: 1, wall, counter: 0, payload }] },
    ]);
    this.stats.futureEntries += 2;
  }

  /** What this peer sent `target` lately, to replay once it restarted (see {@link replay}). */
  sentTo(target: NodeId): readonly Uint8Array[] {
    return [...(this.#sent.get(target) ?? [])];
  }

  /** Sends `datagrams` (from {@link sentTo}) to `target` again, byte for byte. */
  replay(target: HostileTarget, datagrams: readonly Uint8Array[]): void {
    for (const datagram of datagrams) this.#socket.send(datagram, target.port, target.host, () => {});
    this.stats.replayedAfterRestart += datagrams.length;
  }

  /** Counts datagrams replayed by someone else (the relay's captures) in {@link stats}. */
  countReplayed(count: number): void {
    this.stats.replayedAfterRestart += count;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  #delta(id: NodeId, target: HostileTarget, objects: OutgoingObject[]): void {
    const body = encodeDelta(
      { channel: CHANNEL, push: true, final: false, fresh: false, objects },
      { sender: id, receiver: target.id },
    );
    this.#sender(target, id)(encodeEnvelope(MessageType.Delta, body));
  }

  /** A fresh sender id (valid: at most 64 chars of `[A-Za-z0-9._:-]`). */
  #nextId(attack: string): NodeId {
    return `mallory-${attack}-${this.#senders++}-${this.#runId}` as NodeId;
  }

  /**
   * Seals, frames and sends envelopes to `target` as `id`, keeping them for {@link sentTo}:
   * pair-sealed under a fresh identity key once `target`'s key is known (a hello introduces
   * the id first); until then they wait, and a hello asks `target` for its key.
   */
  #sender(target: HostileTarget, id: NodeId): (envelope: Uint8Array) => void {
    const keys = new PeerKeys(new Uint8Array(randomBytes(32)), () => 0);
    const sealer = new MessageSealer({
      networkId: this.#networkId,
      self: id,
      epoch: 1,
      keyring: this.#keyring,
      identity: keys,
    });
    const transmit = (datagram: Uint8Array) => {
      this.#socket.send(datagram, target.port, target.host, () => {});
      const kept = this.#sent.get(target.id) ?? [];
      kept.push(datagram);
      if (kept.length > KEPT) kept.shift();
      this.#sent.set(target.id, kept);
    };
    let introduced = false;
    const send = (envelope: Uint8Array) => {
      const targetKey = this.#targetKeys.get(target.id);
      if (targetKey === undefined) {
        const waiting = this.#waiting.get(target.id) ?? [];
        if (waiting.length === 0) {
          const hello = encodeHello({ publicKey: keys.publicKey, wantsReply: true });
          transmit(encodeFrame(id, sealer.seal(encodeEnvelope(MessageType.Hello, hello))));
          introduced = true;
        }
        waiting.push(() => send(envelope));
        this.#waiting.set(target.id, waiting);
        return;
      }
      keys.offer(target.id, targetKey);
      if (!introduced) {
        const hello = encodeHello({ publicKey: keys.publicKey, wantsReply: false });
        transmit(encodeFrame(id, sealer.seal(encodeEnvelope(MessageType.Hello, hello))));
        introduced = true;
      }
      transmit(encodeFrame(id, sealer.seal(envelope, target.id)));
    };
    return send;
  }

  /** A datagram from a node: only a hello matters (its key), and releases what waited for it. */
  #receive(bytes: Uint8Array): void {
    const frame = decodeFrame(bytes);
    if (!frame.ok) return;
    const from = frame.value.from as NodeId;
    const opened = this.#listener.open(frame.value.payload, from);
    if (!opened.ok) return;
    const envelope = decodeEnvelope(opened.body);
    if (!envelope.ok || envelope.value.type !== MessageType.Hello) return;
    const hello = decodeHello(envelope.value.body);
    if (!hello.ok) return;
    this.#targetKeys.set(from, hello.value.publicKey);
    const waiting = this.#waiting.get(from) ?? [];
    this.#waiting.delete(from);
    for (const send of waiting) send();
  }
}

function mapEntry(key: string, value: string | number, wall: number, writer: NodeId) {
  return { entry: { key, value, wall, counter: 0, writer }, valueBytes: encodeValue(value) };
}
