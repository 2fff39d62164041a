import { cryptoRandom, type NodeId, randomNodeId } from '@shoal/core';
import { waitFor } from '@shoal/testkit';
import { WebSocket } from 'ws';
import { WsClient, type WsClientOptions, WsHub, type WsHubOptions } from '../../src/index.js';

/** A hub on 127.0.0.1 and an ephemeral port. */
export function openHub(options: Partial<WsHubOptions> = {}): Promise<WsHub> {
  return WsHub.open({ nodeId: randomNodeId(cryptoRandom), port: 0, host: '127.0.0.1', ...options });
}

export function urlOf(hub: WsHub): string {
  return `ws://127.0.0.1:${hub.port}`;
}

/** A client with `ws`'s WebSocket and no wake events. */
export function openClient(hubs: readonly string[], options: Partial<WsClientOptions> = {}): WsClient {
  return new WsClient({ nodeId: randomNodeId(cryptoRandom), hubs, WebSocket, wake: false, ...options });
}

/**
 * Binds every connection the way core does after a message authenticated: here any Data frame
 * for the hub counts as authenticated. Returns the unsubscribe function.
 */
export function vouchEverything(hub: WsHub): () => void {
  return hub.onMessage((from, _bytes, source) => {
    hub.addPeerAddress(from, source);
  });
}

/** Opens clients on `hub`, sends each one's hello and waits until the hub has bound them all. */
export async function boundClients(
  hub: WsHub,
  count: number,
  options: Partial<WsClientOptions> = {},
): Promise<WsClient[]> {
  const clients = Array.from({ length: count }, () => openClient([urlOf(hub)], options));
  for (const client of clients) client.setAnnouncement(Uint8Array.of(0));
  const before = hub.stats().bound;
  await waitFor(() => hub.stats().bound >= before + count, 'the clients to be bound');
  return clients;
}

export function idsOf(clients: readonly { nodeId: NodeId }[]): NodeId[] {
  return clients.map((client) => client.nodeId);
}
