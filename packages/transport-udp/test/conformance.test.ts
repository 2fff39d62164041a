import { withFaults } from '@shoal/core';
import { describeMessagePortConformance, waitFor } from '@shoal/testkit';
import type { UdpTransport } from '../src/index.js';
import { openLoopback } from './support/nodes.js';

/**
 * Waits until the transports are quiet: every send queue empty and no datagram received for
 * a while. Loopback delivery is fast but not instant on a busy machine, so "quiet for 100 ms"
 * stands in for "delivered".
 */
async function quiesce(transports: readonly UdpTransport[]): Promise<void> {
  const received = () => transports.reduce((sum, t) => sum + t.stats().datagramsReceived, 0);
  let last = -1;
  let stableSince = Date.now();
  await waitFor(() => {
    const now = received();
    if (now !== last || transports.some((t) => t.stats().queuedDatagrams > 0)) {
      last = now;
      stableSince = Date.now();
    }
    return Date.now() - stableSince >= 100;
  }, 'the transports to go quiet');
}

/** Three loopback transports that have heard each other, ready for the suite. */
async function introducedLoopback() {
  const transports = [await openLoopback(), await openLoopback(), await openLoopback()] as const;
  // Given each other's addresses (as core does after authenticating), and introduced by one
  // empty datagram each way, as core's hello would, so every transport has heard the others.
  for (const from of transports) {
    for (const to of transports) if (from !== to) from.addPeerAddress(to.nodeId, to.localAddress);
  }
  for (const from of transports) {
    for (const to of transports) if (from !== to) from.send(to.nodeId, new Uint8Array());
  }
  await waitFor(() => transports.every((t) => t.stats().messagesDelivered === 2), 'the introductions');
  return transports;
}

describeMessagePortConformance('UdpTransport', async () => {
  const transports = await introducedLoopback();
  const [a, b, c] = transports.map((port) => ({ id: port.nodeId, port }));
  return {
    peers: [a!, b!, c!],
    deliver: () => quiesce(transports),
    teardown: async () => {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
});

// The fault-injecting decorator, faults off, is a transparent MessagePort over a real one.
describeMessagePortConformance('withFaults(UdpTransport), no faults', async () => {
  const transports = await introducedLoopback();
  const [a, b, c] = transports.map((port) => ({ id: port.nodeId, port: withFaults(port) }));
  return {
    peers: [a!, b!, c!],
    deliver: () => quiesce(transports),
    teardown: async () => {
      await Promise.all([a!, b!, c!].map((peer) => peer.port.close()));
    },
  };
});
