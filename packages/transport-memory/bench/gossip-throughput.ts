/**
 * How fast virtual time runs: a 10-node cluster where every node gossips to a random peer
 * every 200 ms, the peer answers, and both sides await a storage write per message. Prints real
 * ms per virtual minute. Run from the repository root:
 *
 *   pnpm exec tsx --conditions=@shoal/source packages/transport-memory/bench/gossip-throughput.ts
 */
import type { NodeId } from '@shoal/core';
import { SimulatedNetwork } from '../src/index.js';

const NODES = 10;
const VIRTUAL_MINUTES = 5;

const net = new SimulatedNetwork({ seed: 1, latency: { min: 1, max: 10 }, loss: 0.01 });
const ids = Array.from({ length: NODES }, (_, i) => `node-${i}` as NodeId);
for (const id of ids) {
  const port = net.connect(id);
  const timers = net.timersFor(id);
  const random = net.random(id);
  const storage = net.storage(id);
  const digest = new Uint8Array(200);
  let writes = 0;
  port.onMessage((from, bytes) => {
    void (async () => {
      await storage.put(Uint8Array.of(writes++ % 256), bytes);
      if (bytes[0] === 0) port.send(from, Uint8Array.of(1, ...digest.subarray(1)));
    })();
  });
  const gossip = () => {
    const peer = ids[Math.floor(random.next() * NODES)] as NodeId;
    if (peer !== id) port.send(peer, digest);
    timers.setTimeout(gossip, 200);
  };
  timers.setTimeout(gossip, Math.floor(random.next() * 200));
}

const started = performance.now();
await net.runFor(VIRTUAL_MINUTES * 60_000);
const elapsed = performance.now() - started;
const { totals } = net.stats();
console.log(
  `${NODES} nodes, ${VIRTUAL_MINUTES} virtual min: ${totals.delivered} deliveries, ` +
    `${(elapsed / VIRTUAL_MINUTES).toFixed(0)} real ms per virtual minute`,
);
