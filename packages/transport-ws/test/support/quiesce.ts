import { waitFor } from '@shoal/testkit';
import type { WsClient, WsHub } from '../../src/index.js';

/**
 * Waits until nothing moves: no frame received by any client or hub for 100 ms. Loopback
 * delivery is fast but not instant on a busy machine, so "quiet for 100 ms" stands in for
 * "delivered".
 */
export async function quiesce(hubs: readonly WsHub[], clients: readonly WsClient[]): Promise<void> {
  const activity = () =>
    hubs.reduce(
      (sum, hub) => sum + hub.stats().messagesDelivered + hub.stats().relayed + hub.stats().queuedBytes,
      0,
    ) + clients.reduce((sum, client) => sum + client.stats().framesReceived, 0);
  let last = -1;
  let stableSince = Date.now();
  await waitFor(() => {
    const now = activity();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
    return Date.now() - stableSince >= 100;
  }, 'the hub and clients to go quiet');
}
