import {
  ErrorCode,
  type MessageHandler,
  type MessagePort,
  type NodeId,
  type PeerHandler,
  ShoalError,
} from '@shoal/core';

/**
 * The {@link MessagePort} a {@link SimulatedNetwork} hands out for one node.
 *
 * Guarantees, beyond the port contract: `send` copies the bytes before it returns; handlers
 * run only while the network runs (`runFor`/`runUntil`), never inside `send` or `onPeer`; an
 * exception from a handler is contained, counted in `stats().errors` and passed to the
 * network's `onError`, and the remaining handlers still run. A new `onPeer` handler is told
 * about every peer already connected ('up'), then about every change.
 */
export interface SimulatedPort extends MessagePort {
  /** The node this port belongs to. */
  readonly id: NodeId;
}

/** What a port needs from its network. */
export interface PortHost {
  transmit(from: NodeId, to: NodeId, bytes: Uint8Array): void;
  replayPeers(port: PortEndpoint, handler: PeerHandler): void;
  detach(port: PortEndpoint): void;
  reportError(node: NodeId, source: 'message' | 'peer', error: unknown): void;
}

/** The implementation of {@link SimulatedPort}; its extra methods are for the network only. */
export class PortEndpoint implements SimulatedPort {
  readonly id: NodeId;
  readonly maxMessageSize: number;
  readonly #host: PortHost;
  readonly #messageHandlers = new Set<MessageHandler>();
  readonly #peerHandlers = new Set<PeerHandler>();
  #closed = false;

  constructor(id: NodeId, maxMessageSize: number, host: PortHost) {
    this.id = id;
    this.maxMessageSize = maxMessageSize;
    this.#host = host;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(to: NodeId, bytes: Uint8Array): void {
    if (this.#closed) return;
    if (!(bytes instanceof Uint8Array)) {
      throw new ShoalError(ErrorCode.InvalidArgument, 'send needs a Uint8Array');
    }
    if (bytes.length > this.maxMessageSize) {
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        `message of ${bytes.length} bytes exceeds maxMessageSize ${this.maxMessageSize}`,
        { details: { size: bytes.length, maxMessageSize: this.maxMessageSize } },
      );
    }
    this.#host.transmit(this.id, to, bytes.slice());
  }

  onMessage(handler: MessageHandler): () => void {
    if (this.#closed) return () => {};
    this.#messageHandlers.add(handler);
    return () => {
      this.#messageHandlers.delete(handler);
    };
  }

  onPeer(handler: PeerHandler): () => void {
    if (this.#closed) return () => {};
    this.#peerHandlers.add(handler);
    this.#host.replayPeers(this, handler);
    return () => {
      this.#peerHandlers.delete(handler);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.shutdown();
    this.#host.detach(this);
  }

  /** Closes without telling the network (it already knows: a crash). */
  shutdown(): void {
    this.#closed = true;
    this.#messageHandlers.clear();
    this.#peerHandlers.clear();
  }

  /** The peer handlers subscribed now, so an event reaches only handlers that existed when it happened. */
  peerHandlers(): PeerHandler[] {
    return [...this.#peerHandlers];
  }

  /** Hands one delivered message to every current handler, containing their exceptions. */
  dispatchMessage(from: NodeId, bytes: Uint8Array): void {
    for (const handler of [...this.#messageHandlers]) {
      // A handler removed by an earlier handler of this same delivery is not called.
      if (this.#closed || !this.#messageHandlers.has(handler)) continue;
      try {
        handler(from, bytes);
      } catch (error) {
        this.#host.reportError(this.id, 'message', error);
      }
    }
  }

  /** Tells `handlers` (those still subscribed) about a peer change. */
  dispatchPeer(handlers: readonly PeerHandler[], peer: NodeId, change: 'up' | 'down'): void {
    for (const handler of handlers) {
      if (this.#closed || !this.#peerHandlers.has(handler)) continue;
      try {
        handler(peer, change);
      } catch (error) {
        this.#host.reportError(this.id, 'peer', error);
      }
    }
  }
}
