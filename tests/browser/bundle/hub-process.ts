// One hub in its own process, for hubs-failover.test.ts (which SIGKILLs it): a Node WebSocket hub
// on 127.0.0.1 with LMDB storage, peering with the other hub. Run with node
// --conditions=@shoal/source --import tsx; arguments: <port> <secret> <data dir> <hub URL>...
// It reports `ready` over IPC, and answers `state` requests with the replica's channel contents.
import { openNode } from '@shoal/node';
import { readReplica } from './replica-state.js';

const [port, secret, dataDir, ...hubs] = process.argv.slice(2);
if (port === undefined || secret === undefined || dataDir === undefined) {
  throw new Error('usage: hub-process.ts <port> <secret> <data dir> <hub URL>...');
}
const node = await openNode({
  udp: false,
  ws: { listen: Number(port), host: '127.0.0.1' },
  hubs,
  secret,
  dataDir,
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'state')
    void readReplica(node).then((state) => process.send?.({ type: 'state', state }));
});
process.send?.({ type: 'ready' });
