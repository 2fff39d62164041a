import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { createNode } from './create-node.js';

describe('node.stats()', () => {
  it('counts messages and wire bytes by type and direction, and SWIM probes', async () => {
    const net = new SimulatedNetwork({ seed: 3, latency: 2 });
    const a = await createNode({ id: 'a', ...net.nodePorts('a'), secret: new Uint8Array(32).fill(1) });
    const b = await createNode({ id: 'b', ...net.nodePorts('b'), secret: new Uint8Array(32).fill(1) });
    const map = (await a.channel('c')).map('m');
    await b.channel('c');
    await net.runFor(3_000);
    const before = a.stats();
    expect(before.traffic.sent.digest.messages).toBeGreaterThan(0);
    expect(before.traffic.sent.membership.messages).toBeGreaterThan(0);
    expect(before.membership.probesSent).toBeGreaterThan(0);
    // Bytes that do not compress, so the wire carries at least as many.
    await map.set(
      'k',
      Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + (i >> 3) * 31) % 251),
    );
    await net.runFor(50);
    const after = a.stats();
    expect(after.traffic.sent.delta.messages).toBeGreaterThan(before.traffic.sent.delta.messages);
    expect(after.traffic.sent.delta.bytes - before.traffic.sent.delta.bytes).toBeGreaterThan(300);
    // What b took in never exceeds what a put out (nothing else talks to b).
    const received = b.stats().traffic.received;
    expect(received.delta.messages).toBeGreaterThan(0);
    expect(received.delta.bytes).toBeLessThanOrEqual(after.traffic.sent.delta.bytes);
    expect(received.digest.messages).toBeLessThanOrEqual(after.traffic.sent.digest.messages);
  });
});
