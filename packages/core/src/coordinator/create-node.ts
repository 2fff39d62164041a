import { Coordinator } from './coordinator.js';
import type { CoordinatorOptions } from './node-types.js';

/**
 * Creates a node from any ports and starts it: the one call an app makes when it brings its own
 * transport (a simulated network, a custom pipe) and storage. `@shoal/node`'s `openNode()` is
 * the same on UDP, WebSockets and LMDB.
 *
 * ```ts
 * const node = await createNode({ port, timers, storage, secret: invite, profile: 'lan' });
 * const settings = (await node.channel('home')).map<{ on: boolean }>('settings');
 * ```
 *
 * @throws ShoalError as {@link Coordinator.create} does; nothing is left running when it throws.
 */
export async function createNode(options: CoordinatorOptions): Promise<Coordinator> {
  const node = await Coordinator.create(options);
  try {
    await node.start();
  } catch (error) {
    await node.dispose({ leave: false }).catch(() => {});
    throw error;
  }
  return node;
}
