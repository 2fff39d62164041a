import {
  ByteReader,
  type Keyring,
  type KeyValueStore,
  type MessagePort,
  MessageSealer,
  type NodeId,
  PeerKeys,
} from '@shoal/core';
import { nodeXChaCha20Poly1305, nodeZlibCompression } from '@shoal/node';
import { nodeMetaKey } from './core-internals.js';

/** What a Shoal datagram carried, read from its envelope. */
export type MessageKind = 'digest' | 'delta' | 'membership' | 'hello';

/** One datagram a node sent. */
export interface SentMessage {
  readonly time: number;
  readonly from: NodeId;
  readonly kind: MessageKind;
  readonly size: number;
  /** Sync body bytes (digest or delta, after the message type and piggyback). */
  readonly body: number;
  /** Membership gossip riding along on the message. */
  readonly piggyback: number;
  /** A reply digest, or a delta answering a digest: part of an exchange already under way. */
  readonly answer: boolean;
}

// Numbers from the wire protocol (protocol/message-type.ts, security/envelope-header.ts,
// protocol/sync-codec.ts); copied because they are wire constants, not exported API.
const KINDS: Record<number, MessageKind> = {
  1: 'digest',
  2: 'delta',
  3: 'membership',
  4: 'hello',
  5: 'delta',
};
const NETWORK_TAG_BYTES = 8;
const DIGEST_REPLY = 1;
const DELTA_PUSH = 1;

/**
 * Opens what the bench's nodes send to each other, for counting: every message between two nodes
 * is pair-sealed (ADR 0045), so it holds each node's identity key (read from the node's store)
 * and opens a datagram as its receiver would. Each datagram is seen once, so the receivers'
 * replay windows here accept them all.
 */
export class Wiretap {
  readonly #keyring: Keyring;
  readonly #nodes = new Map<NodeId, { keys: PeerKeys; sealer: MessageSealer }>();

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  /** Taps node `id`, whose store is `storage` (call after the node was created on it). */
  async add(id: NodeId, storage: KeyValueStore): Promise<void> {
    const secretKey = await storage.get(nodeMetaKey('identity-key'));
    if (secretKey === undefined) throw new Error(`node ${id} has no identity key in its store`);
    const keys = new PeerKeys(secretKey, () => 0);
    for (const [other, tapped] of this.#nodes) {
      if (other === id) continue;
      tapped.keys.offer(id, keys.publicKey);
      keys.offer(other, tapped.keys.publicKey);
    }
    const sealer = new MessageSealer({
      networkId: this.#keyring.networkId,
      self: id,
      epoch: 0,
      keyring: this.#keyring,
      aead: nodeXChaCha20Poly1305,
      identity: keys,
    });
    this.#nodes.set(id, { keys, sealer });
  }

  /** The plaintext of `bytes`, sent by `from` to `to`. */
  open(from: NodeId, to: NodeId, bytes: Uint8Array): Uint8Array {
    const receiver = this.#nodes.get(to);
    if (receiver === undefined) throw new Error(`${to} is not tapped`);
    const opened = receiver.sealer.open(bytes, from);
    if (!opened.ok) throw new Error(`the wiretap could not open it: ${opened.reason}`);
    return opened.body;
  }
}

/**
 * Every datagram the bench's nodes sent, classified by kind only when read: opening a sealed
 * datagram and inflating its body to read its flags cost the observer about as much as a
 * receiver's own work, and counting that inside a timed sync made Shoal look slower than it is.
 * Datagrams are copied as sent and classified in the order they were sent.
 */
export class TrafficLog {
  readonly #sent: Array<{ time: number; from: NodeId; to: NodeId; bytes: Uint8Array }> = [];
  readonly #classified: SentMessage[] = [];
  readonly #wiretap: Wiretap | undefined;

  /** `wiretap`: opens sealed datagrams (omit in open mode). */
  constructor(wiretap?: Wiretap) {
    this.#wiretap = wiretap;
  }

  /** Datagrams sent so far. */
  get length(): number {
    return this.#sent.length;
  }

  /** Notes a datagram `from` sent `to` at virtual time `time` (copied: ports may reuse buffers). */
  record(time: number, from: NodeId, to: NodeId, bytes: Uint8Array): void {
    this.#sent.push({ time, from, to, bytes: bytes.slice() });
  }

  /** The datagrams in `[start, end)`, classified. */
  slice(start: number, end: number): SentMessage[] {
    for (let i = this.#classified.length; i < end; i++) {
      const { time, from, to, bytes } = this.#sent[i] as {
        time: number;
        from: NodeId;
        to: NodeId;
        bytes: Uint8Array;
      };
      let kind: Omit<SentMessage, 'time'>;
      try {
        kind = classify(from, to, bytes, this.#wiretap);
      } catch (error) {
        throw new Error(`bench could not classify a datagram of ${bytes.length} bytes: ${String(error)}`);
      }
      this.#classified.push({ time, ...kind });
    }
    return this.#classified.slice(start, end);
  }
}

/**
 * Wraps a node's port to log every datagram it sends into `log`. The simulated network's own
 * counters give totals only; splitting digests, deltas, membership and headers is what tells
 * where the bytes go.
 */
export function recordingPort(
  port: MessagePort,
  self: NodeId,
  now: () => number,
  log: TrafficLog,
): MessagePort {
  return {
    maxMessageSize: port.maxMessageSize,
    send(to, bytes) {
      log.record(now(), self, to, bytes);
      port.send(to, bytes);
    },
    onMessage: (handler) => port.onMessage(handler),
    onPeer: (handler) => port.onPeer(handler),
    close: () => port.close(),
  };
}

function classify(
  from: NodeId,
  to: NodeId,
  bytes: Uint8Array,
  wiretap: Wiretap | undefined,
): Omit<SentMessage, 'time'> {
  const reader = new ByteReader(innerEnvelope(from, to, bytes, wiretap));
  // The type byte's high bit marks a deflated body, bit 6 a piggyback (protocol/envelope.ts).
  const type = reader.readU8();
  const kind = KINDS[type & 0x3f] ?? 'hello';
  const piggyback = (type & 0x40) === 0 ? 0 : reader.readBytes(reader.remaining).length;
  const body = reader.remaining;
  const flags = body > 0 ? firstByteOfBody(reader, (type & 0x80) !== 0) : 0;
  const answer =
    (kind === 'digest' && (flags & DIGEST_REPLY) !== 0) || (kind === 'delta' && (flags & DELTA_PUSH) === 0);
  return { from, kind, size: bytes.length, body, piggyback, answer };
}

/** The inner envelope of a datagram: after the open header, or what the wiretap opens. */
function innerEnvelope(
  from: NodeId,
  to: NodeId,
  bytes: Uint8Array,
  wiretap: Wiretap | undefined,
): Uint8Array {
  if (wiretap !== undefined) return wiretap.open(from, to, bytes);
  const reader = new ByteReader(bytes);
  reader.readRaw(2 + NETWORK_TAG_BYTES);
  reader.readVarint();
  reader.readVarint();
  return reader.readRaw(reader.remaining);
}

/** The body's first byte (its flags), inflating a deflated body (`raw length varint ‖ deflate`). */
function firstByteOfBody(reader: ByteReader, deflated: boolean): number {
  if (!deflated) return reader.readU8();
  const length = reader.readVarint();
  const inflated = nodeZlibCompression.inflate(reader.readRaw(reader.remaining), length);
  if (inflated === undefined) throw new Error('a deflated body that does not inflate');
  return inflated[0] ?? 0;
}
