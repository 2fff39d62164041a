import {
  Coordinator,
  cryptoRandom,
  generateSecret,
  type MessagePort,
  type NodeId,
  randomNodeId,
} from '@shoal/core';
import { NodeWebSocket, systemTimers, WsClient, WsHub } from '../../src/index.js';

/** A hub node: its Coordinator, its hub port and its links to the other hubs. */
export interface HubNode {
  readonly node: Coordinator;
  readonly hub: WsHub;
  readonly links: readonly WsClient[];
  readonly url: string;
}

/** A client node: a membership leaf with one WsClient. */
export interface ClientNode {
  readonly node: Coordinator;
  readonly port: WsClient;
}

const secret = generateSecret();

/**
 * `count` hubs on 127.0.0.1 that know each other's URLs, each a full node with its own
 * MemoryStore and a link to every other hub, as `openNode({ ws, hubs })` wires them.
 */
export async function openHubs(count: number): Promise<HubNode[]> {
  const ids = Array.from({ length: count }, () => randomNodeId(cryptoRandom));
  const hubs = await Promise.all(ids.map((nodeId) => WsHub.open({ nodeId, port: 0, host: '127.0.0.1' })));
  const urls = hubs.map((hub) => `ws://127.0.0.1:${hub.port}`);
  return Promise.all(
    hubs.map(async (hub, i) => {
      const others = urls.filter((_, j) => j !== i);
      const links = others.map((url) => client(ids[i] as NodeId, [url]));
      const node = await Coordinator.create({
        id: ids[i] as string,
        ports: [hub, ...links],
        timers: systemTimers,
        secret,
      });
      await node.start();
      return { node, hub, links, url: urls[i] as string };
    }),
  );
}

/** A client node (leaf) that may use any of `urls`. */
export async function openClientNode(urls: readonly string[]): Promise<ClientNode> {
  const id = randomNodeId(cryptoRandom);
  const port = client(id, urls);
  const node = await Coordinator.create({
    id,
    port,
    timers: systemTimers,
    secret,
    membership: { leaf: true },
  });
  await node.start();
  return { node, port };
}

function client(nodeId: NodeId, hubs: readonly string[]): WsClient {
  return new WsClient({ nodeId, hubs, WebSocket: NodeWebSocket, wake: false });
}

/** Crashes a hub as far as everyone else can tell: every socket cut, nothing said. */
export async function crash(hub: HubNode): Promise<void> {
  await hub.node.pause();
  await Promise.all([hub.hub.abort(), ...hub.links.map((link: MessagePort) => link.close())]);
}
