import { createServer } from 'node:net';
import { type Coordinator, createInvite } from '@shoal/core';
import { openNode } from '@shoal/node';
import { ChatService } from '../src/chat-service.js';
import type { HubLink } from '../src/hub-link.js';
import { openChatNode } from '../src/open-chat-node.js';

/** The invite every node of a test cluster shares. */
export const secret = createInvite({ networkId: 'chat-test', secret: new Uint8Array(32).fill(7) });

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A hub on loopback: a node with a WebSocket listener and no UDP, state in memory. */
export async function openHub(port: number, others: readonly string[] = []): Promise<Coordinator> {
  return openNode({
    secret,
    udp: false,
    ws: { listen: port, host: '127.0.0.1' },
    hubs: others,
    profile: 'local',
  });
}

/** A chat client of `hubs` with its service open. */
export async function openClient(
  hubs: readonly string[],
  nick?: string,
): Promise<{ node: Coordinator; link: HubLink; chat: ChatService }> {
  const { node, link } = await openChatNode({ hubs, secret });
  const chat = await ChatService.open(node, { ...(nick === undefined ? {} : { nick }), heartbeatMs: 500 });
  return { node, link, chat };
}

/** Resolves once `check` holds, polling; rejects with `what` after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
