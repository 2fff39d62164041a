import { MessageType } from '../protocol/message-type.js';

/** The name of each message type, as metrics and dashboards label it. */
export type MessageTypeName = 'digest' | 'delta' | 'membership' | 'hello' | 'fragment' | 'epoch-notice';

const NAMES: Readonly<Record<MessageType, MessageTypeName>> = {
  [MessageType.Digest]: 'digest',
  [MessageType.Delta]: 'delta',
  [MessageType.Membership]: 'membership',
  [MessageType.Hello]: 'hello',
  [MessageType.Fragment]: 'fragment',
  [MessageType.EpochNotice]: 'epoch-notice',
};

/** Messages and their bytes on the wire (sealed), one direction, by message type. */
export type TrafficByType = Record<MessageTypeName, { messages: number; bytes: number }>;

/** What a node sent and received since it was created, by message type. */
export interface Traffic {
  readonly sent: Readonly<TrafficByType>;
  /** Authenticated messages only; what was dropped is in `health().sealing.dropped`. */
  readonly received: Readonly<TrafficByType>;
}

function empty(): TrafficByType {
  return Object.fromEntries(
    Object.values(NAMES).map((name) => [name, { messages: 0, bytes: 0 }]),
  ) as TrafficByType;
}

/**
 * Counts messages and wire bytes by type and direction. A message too large for a datagram
 * counts once per fragment, as `fragment`, when sent; received, each fragment counts as
 * `fragment` and the rebuilt message as its own type with no further bytes.
 */
export class TrafficCounters {
  readonly #sent = empty();
  readonly #received = empty();

  sent(type: MessageType, bytes: number): void {
    const counter = this.#sent[NAMES[type]];
    counter.messages++;
    counter.bytes += bytes;
  }

  received(type: MessageType, bytes: number): void {
    const counter = this.#received[NAMES[type]];
    if (counter === undefined) return;
    counter.messages++;
    counter.bytes += bytes;
  }

  /** A copy of the counters. */
  snapshot(): Traffic {
    const copy = (side: TrafficByType) =>
      Object.fromEntries(Object.entries(side).map(([name, c]) => [name, { ...c }])) as TrafficByType;
    return { sent: copy(this.#sent), received: copy(this.#received) };
  }
}
