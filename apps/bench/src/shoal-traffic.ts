import { ByteReader, type MessagePort, type MessageSealer, type NodeId } from '@shoal/core';
import { nodeZlibCompression } from '@shoal/node';

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
 * Wraps a node's port to log every datagram it sends, by message kind. The simulated
 * network's own counters give totals only; splitting digests, deltas, membership and headers
 * is what tells where the bytes go. Sealed datagrams are opened by `observer`, a sealer that
 * holds the network's key (each datagram is seen once, so its replay window accepts them all).
 */
export function recordingPort(
  port: MessagePort,
  self: NodeId,
  now: () => number,
  log: SentMessage[],
  observer?: MessageSealer,
): MessagePort {
  return {
    maxMessageSize: port.maxMessageSize,
    send(to, bytes) {
      let kind: Omit<SentMessage, 'time'>;
      try {
        kind = classify(self, bytes, observer);
      } catch (error) {
        throw new Error(`bench could not classify a datagram of ${bytes.length} bytes: ${String(error)}`);
      }
      log.push({ time: now(), ...kind });
      port.send(to, bytes);
    },
    onMessage: (handler) => port.onMessage(handler),
    onPeer: (handler) => port.onPeer(handler),
    close: () => port.close(),
  };
}

function classify(
  from: NodeId,
  bytes: Uint8Array,
  observer: MessageSealer | undefined,
): Omit<SentMessage, 'time'> {
  const reader = new ByteReader(innerEnvelope(from, bytes, observer));
  reader.readU8();
  // The high bit of the type byte marks a deflated body (protocol/envelope.ts).
  const type = reader.readU8();
  const kind = KINDS[type & 0x7f] ?? 'hello';
  const piggyback = reader.readBytes(reader.remaining).length;
  const body = reader.remaining;
  const flags = body > 0 ? firstByteOfBody(reader, (type & 0x80) !== 0) : 0;
  const answer =
    (kind === 'digest' && (flags & DIGEST_REPLY) !== 0) || (kind === 'delta' && (flags & DELTA_PUSH) === 0);
  return { from, kind, size: bytes.length, body, piggyback, answer };
}

/** The inner envelope of a datagram: after the open header, or what the observer opens. */
function innerEnvelope(from: NodeId, bytes: Uint8Array, observer: MessageSealer | undefined): Uint8Array {
  if (observer !== undefined) {
    const opened = observer.open(bytes, from);
    if (!opened.ok) throw new Error(`the observer could not open it: ${opened.reason}`);
    return opened.body;
  }
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
