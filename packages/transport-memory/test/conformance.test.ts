import type { NodeId } from '@shoal/core';
import { describeMessagePortConformance } from '@shoal/testkit';
import { SimulatedNetwork } from '../src/index.js';

describeMessagePortConformance('SimulatedNetwork', () => {
  const net = new SimulatedNetwork({ seed: 1, latency: { min: 1, max: 20 }, maxMessageSize: 1024 });
  const peers = (['a', 'b', 'c'] as const).map((id) => ({ id: id as NodeId, port: net.connect(id) }));
  return {
    peers: [peers[0]!, peers[1]!, peers[2]!],
    deliver: () => net.runFor(1_000),
    teardown: async () => {
      for (const peer of peers) await peer.port.close();
    },
  };
});
