/**
 * One hub of the chat bench, in its own process so the bench can `kill -9` it:
 * `hub-process.ts PORT SECRET [OTHER_HUB_URL…]`. Says `ready` over IPC once listening.
 */
import { openNode } from '@shoal/node';

const [port, secret, ...others] = process.argv.slice(2);
const node = await openNode({
  secret: secret as string,
  udp: false,
  // Every bench client connects from 127.0.0.1: lift the per-address limit (64 by default).
  ws: { listen: Number(port), host: '127.0.0.1', maxConnectionsPerAddress: 10_000 },
  hubs: others,
});
await node.channel('chat');
process.send?.({ type: 'ready', id: node.id });
process.on('SIGTERM', () => {
  node.dispose().finally(() => process.exit(0));
});
