/**
 * Tags of the messages inside a Shoal envelope.
 *
 * WARNING: these numbers are part of the wire protocol (docs/protocol.md). Never renumber or
 * reuse one; only append.
 */
export const MessageType = {
  /** Push-pull anti-entropy: "this is what I have" (and, when asked, "send me what I lack"). */
  Digest: 1,
  /** Entries: the answer to a digest, or an eager push of fresh local writes. */
  Delta: 2,
  /** SWIM membership (ping, ack, ping-req, …), encoded by the membership module. */
  Membership: 3,
  /** Discovery announcement: "I am here", sent to multicast groups and bootstrap peers. */
  Hello: 4,
  /** A piece of an envelope too large for one datagram (an entry bigger than a datagram). */
  Fragment: 5,
  /**
   * "I have seen a newer boot epoch of yours than the one you seal with": sent (rate-limited)
   * to a sender whose authentic messages arrive with a stale epoch, e.g. a node restored from
   * a backup, so it moves past the epoch and is heard again. Body: `epoch:varint`.
   */
  EpochNotice: 6,
} as const;

/** One of the {@link MessageType} values. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
