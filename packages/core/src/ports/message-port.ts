import type { NodeId } from '../ids/node-id.js';

/** Called for every datagram a port receives. */
export type MessageHandler = (from: NodeId, bytes: Uint8Array, source?: Uint8Array) => void;
/** Called when the transport's own discovery sees a peer appear or go away. */
export type PeerHandler = (peer: NodeId, change: 'up' | 'down') => void;

/**
 * An unreliable, addressed datagram pipe: the transport port.
 *
 * Guarantees a transport gives (and no more):
 * - **Delivery**: best effort. A message may be dropped, duplicated, delayed or reordered.
 *   Core never relies on delivery: anti-entropy is the retransmission.
 * - **Integrity**: none. `from` is what the datagram claims; core authenticates it by sealing.
 * - **Size**: `send` accepts at most {@link MessagePort.maxMessageSize} bytes and throws a
 *   `ShoalError` (`INVALID_ARGUMENT`) above it; core chunks everything to fit.
 * - **Re-entrancy**: handlers are never called synchronously from inside `send`; a handler
 *   that throws is contained by the port (counted, not propagated) and other handlers still run.
 * - **Close**: after `close()` resolves, `send` is a silent no-op and no handler is called again.
 */
export interface MessagePort {
  /** Largest payload `send` accepts, in bytes. */
  readonly maxMessageSize: number;
  /** Sends `bytes` to `to`, best effort. Never blocks and never throws for network faults. */
  send(to: NodeId, bytes: Uint8Array): void;
  /** Subscribes to inbound datagrams; returns an unsubscribe function. */
  onMessage(handler: MessageHandler): () => void;
  /** Subscribes to peer discovery events; returns an unsubscribe function. */
  onPeer(handler: PeerHandler): () => void;
  /** Releases the transport. Idempotent. */
  close(): Promise<void>;
  /**
   * This node's own address on the transport as opaque bytes, for transports that need
   * addresses (UDP). Membership gossip carries it so third parties can reach this node.
   */
  readonly localAddress?: Uint8Array;
  /**
   * Tells the transport how to reach `peer`. Core calls it only with addresses it learnt from
   * authenticated traffic (the `source` of a message that opened, or gossip inside one).
   */
  addPeerAddress?(peer: NodeId, address: Uint8Array): void;
}
