import { settle, waitFor } from '@shoal/testkit';
import { describe, expect, it } from 'vitest';
import { openLoopback } from './support/nodes.js';

const text = (value: string) => new TextEncoder().encode(value);

describe('UdpTransport close', () => {
  it('is idempotent, makes send a no-op and runs no handler afterwards', async () => {
    const a = await openLoopback();
    const b = await openLoopback();
    a.addPeerAddress(b.nodeId, b.localAddress);
    b.addPeerAddress(a.nodeId, a.localAddress);
    const received: string[] = [];
    b.onMessage(() => received.push('message'));
    b.onPeer(() => received.push('peer'));
    a.send(b.nodeId, text('before'));
    await waitFor(() => received.length === 2, 'delivery before close');
    const closing = b.close();
    expect(b.close()).toBe(closing);
    await closing;
    await b.close();
    a.send(b.nodeId, text('after'));
    b.send(a.nodeId, text('from closed'));
    expect(b.onMessage(() => received.push('late'))).toBeTypeOf('function');
    b.setAnnouncement(text('ignored'));
    await settle();
    expect(received).toEqual(['peer', 'message']);
    expect(b.stats().datagramsSent).toBe(0);
    await a.close();
  });

  it('stops delivering once a handler closes the transport', async () => {
    const a = await openLoopback();
    const b = await openLoopback();
    a.addPeerAddress(b.nodeId, b.localAddress);
    const calls: string[] = [];
    b.onMessage(() => {
      calls.push('first');
      void b.close();
    });
    b.onMessage(() => calls.push('second'));
    a.send(b.nodeId, text('1'));
    a.send(b.nodeId, text('2'));
    await waitFor(() => calls.length > 0, 'first delivery');
    await b.close();
    await settle();
    expect(calls).toEqual(['first']);
    await a.close();
  });

  it('drops queued datagrams on close', async () => {
    const a = await openLoopback({ pacing: { bytesPerMs: 1, burstBytes: 1200 } });
    const b = await openLoopback();
    a.addPeerAddress(b.nodeId, b.localAddress);
    for (let i = 0; i < 10; i++) a.send(b.nodeId, new Uint8Array(1000));
    await a.close();
    expect(a.stats().queuedDatagrams).toBe(0);
    await b.close();
  });

  it('supports await using', async () => {
    let closedStats: number | undefined;
    {
      await using a = await openLoopback();
      closedStats = a.stats().datagramsSent;
    }
    expect(closedStats).toBe(0);
  });
});
