import type { WsClient } from '@shoal/transport-ws/client';

/**
 * The client side of a chat node's hub connection: which hub it is on right now. Filled in when
 * the node opens its transport (the node's id is known only then).
 */
export class HubLink {
  #client: WsClient | undefined;

  /** Keeps `client` (the node's one hub connection) and returns it, for a `PortSource`. */
  attach(client: WsClient): WsClient {
    this.#client = client;
    return client;
  }

  /** The hub URL the connection is on, or undefined while it is between hubs. */
  get hub(): string | undefined {
    return this.#client?.hub;
  }

  /** Every hub URL the connection may use (the configured ones and those hubs announced). */
  get hubs(): readonly string[] {
    return this.#client?.hubs ?? [];
  }
}
