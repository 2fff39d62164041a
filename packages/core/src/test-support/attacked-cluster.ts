import { SimulatedNetwork } from '@shoal/transport-memory';
import { createNode } from '../coordinator/create-node.js';
import { Keyring } from '../security/keyring.js';
import { pairedPeer } from './paired-peer.js';

type Node = Awaited<ReturnType<typeof createNode>>;

/**
 * Honest nodes `ids` on a seeded simulated network (1-10 ms latency) sharing `secret`, each
 * with an object `open` gives it, run until the cluster formed (each node has met the others),
 * and a keyed member, `mallory`, with its own node key, paired to send them what it forges.
 */
export async function attackedCluster<T>(
  seed: number,
  ids: readonly string[],
  secret: Uint8Array,
  malloryKey: Uint8Array,
  open: (node: Node) => Promise<T>,
) {
  const net = new SimulatedNetwork({ seed, latency: { min: 1, max: 10 } });
  const nodes = await Promise.all(ids.map((id) => createNode({ id, ...net.nodePorts(id), secret })));
  const objects: T[] = [];
  for (const node of nodes) objects.push(await open(node));
  await net.runFor(3000);
  const mallory = pairedPeer(net, 'mallory', new Keyring('shoal', [secret]), malloryKey);
  return { net, nodes, objects, mallory };
}
