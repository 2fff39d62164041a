import type { Channel, NodeId } from '@shoal/core';

/**
 * Waits until some peer is known to hold every entry this node holds in `channel`, as of a
 * time after `since` (a `performance.now()` reading taken once the write was durable here).
 *
 * The evidence is a sync digest: `channel.syncStatus()` compares each peer's last digest with
 * our replica now, and `theyLack === 0` for a digest younger than the write means the peer
 * had the write when it sent that digest. Nothing weaker (a peer merely being up, or our
 * push having been sent) counts. Resolves the peer's id, or `undefined` when `timeoutMs` runs
 * out or `signal` aborts. `onTick` gets the elapsed ms about ten times a second.
 */
export async function waitForPeerHolding(
  channel: Channel,
  since: number,
  timeoutMs: number,
  options: { onTick?: (elapsedMs: number) => void; signal?: AbortSignal } = {},
): Promise<NodeId | undefined> {
  const deadline = since + timeoutMs;
  for (;;) {
    const now = performance.now();
    const holder = channel.syncStatus().find((s) => s.lastDigestAgo < now - since && s.theyLack === 0);
    if (holder !== undefined) return holder.peer;
    if (now >= deadline || options.signal?.aborted === true) return undefined;
    options.onTick?.(now - since);
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, deadline - now)));
  }
}
