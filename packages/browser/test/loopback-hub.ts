import type { MessageHandler, MessagePort, NodeId, PeerHandler } from '@shoal/core';

/**
 * A test transport in real time: every port connected to one hub reaches every other, each
 * message delivered on a later macrotask (as a socket would), a copy per receiver. Stands in
 * for the WebSocket client in tests of `openBrowserNode`, which takes its transports from the
 * caller.
 */
export class LoopbackHub {
  readonly #ports = new Map<NodeId, LoopbackPort>();

  /** A port for node `id`; everyone already connected sees it come up, and it sees them. */
  connect(id: NodeId): MessagePort {
    const port = new LoopbackPort(id, this.#ports);
    for (const other of this.#ports.values()) {
      other.announce(id, 'up');
      port.announce(other.id, 'up');
    }
    this.#ports.set(id, port);
    return port;
  }
}

class LoopbackPort implements MessagePort {
  readonly maxMessageSize = 16 * 1024;
  readonly #messages = new Set<MessageHandler>();
  readonly #peers = new Set<PeerHandler>();
  #closed = false;

  constructor(
    readonly id: NodeId,
    readonly hub: Map<NodeId, LoopbackPort>,
  ) {}

  send(to: NodeId, bytes: Uint8Array): void {
    const target = this.hub.get(to);
    if (this.#closed || target === undefined) return;
    const copy = bytes.slice();
    setTimeout(() => target.deliver(this.id, copy), 0);
  }

  deliver(from: NodeId, bytes: Uint8Array): void {
    if (this.#closed) return;
    for (const handler of this.#messages) handler(from, bytes);
  }

  announce(peer: NodeId, change: 'up' | 'down'): void {
    setTimeout(() => {
      if (!this.#closed) for (const handler of this.#peers) handler(peer, change);
    }, 0);
  }

  onMessage(handler: MessageHandler): () => void {
    this.#messages.add(handler);
    return () => this.#messages.delete(handler);
  }

  onPeer(handler: PeerHandler): () => void {
    this.#peers.add(handler);
    return () => this.#peers.delete(handler);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.hub.delete(this.id);
    for (const other of this.hub.values()) other.announce(this.id, 'down');
  }
}
