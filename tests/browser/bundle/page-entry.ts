import { openBrowserNode } from '@shoal/browser';
import { Coordinator, createInvite, type Value } from '@shoal/core';
import { IndexedDbStore } from '@shoal/storage-indexeddb';
import { SimulatedNetwork } from '@shoal/transport-memory';

// Runs in the page, from the esbuild bundle: core, the IndexedDB store, @shoal/browser and the
// simulated network, with no Node built-in. The Node-side test calls these through `window.shoal`.

// Fixed, so the page after a reload opens the stores with the secret they were written with.
const secret = createInvite({ networkId: 'bundle', secret: new Uint8Array(32).fill(3) });
const names = ['alice', 'bob'] as const;

/** A map's entries, sorted by key, in a form that survives `page.evaluate`. */
type Entries = [string, Value][];
const sorted = (entries: Iterable<[string, Value]>): Entries =>
  [...entries].sort(([a], [b]) => (a < b ? -1 : 1));

/**
 * Two nodes on a lossy simulated network, each on its own IndexedDB store, write and converge;
 * then both are disposed, leaving their state only in IndexedDB. Returns what each node saw.
 */
async function syncTwoNodes(): Promise<Record<(typeof names)[number], Entries>> {
  const net = new SimulatedNetwork({ seed: 11, loss: 0.2, latency: { min: 1, max: 20 } });
  const nodes = await Promise.all(
    names.map(async (id) => {
      const node = await Coordinator.create({
        id,
        port: net.connect(id),
        timers: net.timersFor(id),
        random: net.random(id),
        storage: await IndexedDbStore.open(`bundle-${id}`),
        secret,
      });
      await node.start();
      return { node, map: (await node.channel('room')).map('kv') };
    }),
  );
  for (const [index, { map }] of nodes.entries()) {
    for (let key = 0; key < 20; key++) await map.set(`${names[index]}-${key}`, { key, by: index });
  }
  const converged = await net.runUntil(() => nodes.every(({ map }) => map.size === 40), { timeout: 120_000 });
  if (!converged) throw new Error(`no convergence: sizes ${nodes.map(({ map }) => map.size).join(', ')}`);
  const seen = { alice: sorted(nodes[0]!.map.entries()), bob: sorted(nodes[1]!.map.entries()) };
  // A graceful leave gossips on virtual time: keep the network running until both are gone.
  const disposing = Promise.all(nodes.map(({ node }) => node.dispose()));
  await net.runUntil(() => nodes.every(({ node }) => node.state === 'disposed'), { timeout: 60_000 });
  await disposing;
  return seen;
}

/** After a reload: each node's map as `openBrowserNode` loads it back from IndexedDB alone. */
async function readBack(): Promise<Record<(typeof names)[number], Entries>> {
  const read = async (id: string): Promise<Entries> => {
    const node = await openBrowserNode({ dbName: `bundle-${id}`, secret });
    try {
      if (node.id !== id) throw new Error(`node id ${node.id} came back instead of ${id}`);
      return sorted((await node.channel('room')).map('kv').entries());
    } finally {
      await node.dispose();
    }
  };
  return { alice: await read('alice'), bob: await read('bob') };
}

Object.assign(globalThis, { shoal: { syncTwoNodes, readBack } });
