import { createSocket } from 'node:dgram';
import { waitFor } from '@shoal/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { UdpTransport } from '../src/index.js';
import { openLoopback } from './support/nodes.js';

const open: UdpTransport[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.close()));
});

describe('UdpTransport pacing', () => {
  /** Sends 2000 numbered full-size datagrams from `a` to `b` at once; resolves when all arrived. */
  async function burst(a: UdpTransport, b: UdpTransport): Promise<void> {
    a.addPeerAddress(b.nodeId, b.localAddress);
    const seen = new Set<number>();
    b.onMessage((_from, bytes) => seen.add(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0)));
    for (let i = 0; i < 2000; i++) {
      const payload = new Uint8Array(a.maxMessageSize);
      new DataView(payload.buffer).setUint32(0, i);
      a.send(b.nodeId, payload);
    }
    expect(a.stats().queuedDatagrams).toBeGreaterThan(0);
    await waitFor(() => seen.size === 2000, `2000 datagrams (got ${seen.size})`, 20_000);
    expect(a.stats()).toMatchObject({ queueFullDropped: 0, queuedDatagrams: 0, datagramsSent: 2000 });
  }

  it('delivers a burst of 2000 full-size datagrams on loopback without loss (defaults)', async () => {
    const a = await openLoopback();
    const b = await openLoopback();
    open.push(a, b);
    await burst(a, b);
  }, 30_000);

  it('paces a burst so a receiver with the OS default buffer loses nothing', async () => {
    // The receiver keeps Linux's default buffer (rmem_default), as a peer that could not
    // enlarge it would; unpaced, this burst loses ~90 % of datagrams here. The rate is set
    // below what this process drains even on a loaded machine: sender and receiver share one
    // event loop, and libuv reads at most 32 datagrams per loop iteration.
    const a = await openLoopback({ pacing: { bytesPerMs: 2048, burstBytes: 16_384 } });
    const b = await openLoopback({ socketBufferBytes: 212_992 });
    open.push(a, b);
    await burst(a, b);
  }, 30_000);

  it('drops and counts datagrams beyond maxQueuedBytes instead of buffering them', async () => {
    const a = await openLoopback({ pacing: { bytesPerMs: 1, burstBytes: 1200 }, maxQueuedBytes: 12_000 });
    const b = await openLoopback();
    open.push(a, b);
    a.addPeerAddress(b.nodeId, b.localAddress);
    for (let i = 0; i < 20; i++) a.send(b.nodeId, new Uint8Array(1000));
    const stats = a.stats();
    expect(stats.queueFullDropped).toBeGreaterThan(0);
    expect(stats.queuedBytes).toBeLessThanOrEqual(12_000);
    expect(stats.datagramsSent + stats.queuedDatagrams + stats.queueFullDropped).toBe(20);
  });

  it('asks the OS for larger socket buffers, never ending below its default', async () => {
    const plain = createSocket('udp4');
    await new Promise<void>((resolve) => plain.bind(0, '127.0.0.1', resolve));
    const defaultSize = plain.getRecvBufferSize();
    plain.close();
    const a = await openLoopback({ socketBufferBytes: 4 * 1024 * 1024 });
    open.push(a);
    // The OS may cap the request (Linux: rmem_max), so only "not smaller" is portable.
    expect(a.stats().receiveBufferBytes).toBeGreaterThanOrEqual(defaultSize);
  });
});
