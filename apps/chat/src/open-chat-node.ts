import type { Coordinator, Secret } from '@shoal/core';
import { openNode } from '@shoal/node';
import { NodeWebSocket, WsClient } from '@shoal/transport-ws';
import { HubLink } from './hub-link.js';

/** Options of {@link openChatNode}. */
export interface OpenChatNodeOptions {
  /** Hub URLs (`ws://host:port`); the client holds one connection and fails over between them. */
  readonly hubs: readonly string[];
  /** The network's invite token or secret: the same the hubs were given. */
  readonly secret: Secret;
  /** Where this client keeps its replica (LMDB); without it, history is refetched each start. */
  readonly dataDir?: string;
}

/**
 * Opens a Node chat client: a hub client over WebSocket (a membership leaf, no UDP), with its
 * replica in `dataDir`. Returns the node and a {@link HubLink} saying which hub it is on.
 */
export async function openChatNode(
  options: OpenChatNodeOptions,
): Promise<{ node: Coordinator; link: HubLink }> {
  const link = new HubLink();
  const node = await openNode({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    secret: options.secret,
    udp: false,
    ports: [(nodeId) => link.attach(new WsClient({ nodeId, hubs: options.hubs, WebSocket: NodeWebSocket }))],
    membership: { leaf: true },
    profile: 'wan',
  });
  return { node, link };
}
