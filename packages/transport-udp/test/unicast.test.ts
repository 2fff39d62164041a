import { createSocket } from 'node:dgram';
import type { NodeId } from '@shoal/core';
import { settle, waitFor } from '@shoal/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeUdpAddress, encodeFrame, encodeUdpAddress, type UdpTransport } from '../src/index.js';
import { nodeId, openLoopback } from './support/nodes.js';

const text = (value: string) => new TextEncoder().encode(value);
const open: UdpTransport[] = [];

async function pair(): Promise<[UdpTransport, UdpTransport]> {
  const a = await openLoopback();
  const b = await openLoopback();
  open.push(a, b);
  a.addPeerAddress(b.nodeId, b.localAddress);
  b.addPeerAddress(a.nodeId, a.localAddress);
  return [a, b];
}

function collect(transport: UdpTransport): Array<{ from: NodeId; bytes: Uint8Array; source: Uint8Array }> {
  const received: Array<{ from: NodeId; bytes: Uint8Array; source: Uint8Array }> = [];
  transport.onMessage((from, bytes, source) => received.push({ from, bytes, source }));
  return received;
}

async function sendRaw(to: UdpTransport, bytes: Uint8Array): Promise<void> {
  const socket = createSocket('udp4');
  const address = decodeUdpAddress(to.localAddress);
  if (!address.ok) throw new Error('bad local address');
  await new Promise<void>((resolve) => socket.send(bytes, address.value.port, '127.0.0.1', () => resolve()));
  socket.close();
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.close()));
});

describe('UdpTransport unicast on loopback', () => {
  it('delivers a message with the sender id and the source address', async () => {
    const [a, b] = await pair();
    const received = collect(b);
    a.send(b.nodeId, text('hi'));
    await waitFor(() => received.length === 1, 'delivery');
    expect(received[0]?.from).toBe(a.nodeId);
    expect(received[0]?.bytes).toEqual(text('hi'));
    expect(received[0]?.source).toEqual(a.localAddress);
  });

  it('advertises its bound address and port', async () => {
    const a = await openLoopback();
    open.push(a);
    const address = decodeUdpAddress(a.localAddress);
    expect(address.ok && address.value.host).toBe('127.0.0.1');
    expect(address.ok && address.value.port).toBeGreaterThan(0);
  });

  it('accepts exactly maxMessageSize bytes and refuses one more', async () => {
    const [a, b] = await pair();
    const received = collect(b);
    expect(a.maxMessageSize).toBe(1200 - 4 - a.nodeId.length);
    a.send(b.nodeId, new Uint8Array(a.maxMessageSize).fill(9));
    expect(() => a.send(b.nodeId, new Uint8Array(a.maxMessageSize + 1))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    await waitFor(() => received.length === 1, 'delivery');
    expect(received[0]?.bytes.length).toBe(a.maxMessageSize);
  });

  it('drops and counts sends to a peer with no known address', async () => {
    const [a, b] = await pair();
    const received = collect(b);
    a.send(nodeId('stranger'), text('lost'));
    expect(a.stats().unknownPeerDropped).toBe(1);
    a.removePeer(b.nodeId);
    a.send(b.nodeId, text('also lost'));
    expect(a.stats().unknownPeerDropped).toBe(2);
    await settle();
    expect(received).toEqual([]);
  });

  it('never replies to the address a datagram claims: hearing from a peer adds no address', async () => {
    const [a, b] = await pair();
    const c = await openLoopback();
    open.push(c);
    c.addPeerAddress(a.nodeId, a.localAddress);
    const receivedByA = collect(a);
    c.send(a.nodeId, text('hello from c'));
    await waitFor(() => receivedByA.length === 1, 'delivery to a');
    a.send(c.nodeId, text('reply'));
    expect(a.stats().unknownPeerDropped).toBe(1);
    expect(b.stats().datagramsReceived).toBe(0);
  });

  it('refuses and counts peer addresses that are malformed, multicast or of the other family', async () => {
    const [a] = await pair();
    const peer = nodeId('peer');
    expect(a.addPeerAddress(peer, new Uint8Array([4, 1, 2]))).toBe(false);
    expect(a.addPeerAddress(peer, encodeUdpAddress({ family: 4, host: '239.1.2.3', port: 5 }))).toBe(false);
    expect(a.addPeerAddress(peer, encodeUdpAddress({ family: 6, host: '::1', port: 5 }))).toBe(false);
    expect(a.stats().invalidAddresses).toBe(3);
    a.send(peer, text('x'));
    expect(a.stats().unknownPeerDropped).toBe(1);
  });

  it('drops and counts malformed datagrams without disturbing delivery', async () => {
    const [a, b] = await pair();
    const received = collect(b);
    await sendRaw(b, new Uint8Array([1, 2, 3]));
    await sendRaw(b, new Uint8Array([0x53, 0x48, 1, 64, 0x61]));
    await waitFor(() => b.stats().malformedDropped === 2, 'malformed datagrams counted');
    a.send(b.nodeId, text('still fine'));
    await waitFor(() => received.length === 1, 'delivery');
  });

  it('drops its own datagrams (its multicast looping back)', async () => {
    const [, b] = await pair();
    const received = collect(b);
    await sendRaw(b, encodeFrame(b.nodeId, text('echo')));
    await waitFor(() => b.stats().ownDropped === 1, 'own datagram counted');
    expect(received).toEqual([]);
  });

  it('reports up once per new sender, before its first message', async () => {
    const [a, b] = await pair();
    const events: string[] = [];
    b.onPeer((peer, change) => events.push(`${change}:${peer}`));
    b.onMessage((from) => events.push(`message:${from}`));
    a.send(b.nodeId, text('1'));
    a.send(b.nodeId, text('2'));
    await waitFor(() => events.length === 3, 'events');
    expect(events).toEqual([`up:${a.nodeId}`, `message:${a.nodeId}`, `message:${a.nodeId}`]);
  });

  it('tells a late onPeer subscriber, asynchronously, about peers already heard from', async () => {
    const [a, b] = await pair();
    const received = collect(b);
    a.send(b.nodeId, text('x'));
    await waitFor(() => received.length === 1, 'delivery');
    const ups: NodeId[] = [];
    b.onPeer((peer) => ups.push(peer));
    expect(ups).toEqual([]);
    await waitFor(() => ups.length === 1, 'replayed up');
    expect(ups).toEqual([a.nodeId]);
  });

  it('contains throwing handlers, counts them, and still runs the others', async () => {
    const [a, b] = await pair();
    b.onMessage(() => {
      throw new Error('boom');
    });
    const received = collect(b);
    a.send(b.nodeId, text('x'));
    await waitFor(() => received.length === 1, 'delivery');
    expect(b.stats().handlerErrors).toBe(1);
  });

  it('never calls handlers synchronously from send, even sending to itself', async () => {
    const a = await openLoopback();
    open.push(a);
    a.addPeerAddress(a.nodeId, a.localAddress);
    let inSend = false;
    let calledDuringSend = false;
    a.onMessage(() => {
      calledDuringSend ||= inSend;
    });
    inSend = true;
    a.send(a.nodeId, text('self'));
    inSend = false;
    await waitFor(() => a.stats().ownDropped === 1, 'own datagram');
    expect(calledDuringSend).toBe(false);
  });

  it('unsubscribes handlers', async () => {
    const [a, b] = await pair();
    const calls: string[] = [];
    const off = b.onMessage(() => calls.push('first'));
    const received = collect(b);
    off();
    off();
    a.send(b.nodeId, text('x'));
    await waitFor(() => received.length === 1, 'delivery');
    expect(calls).toEqual([]);
  });

  it('works over IPv6 loopback, reporting IPv6 sources', async () => {
    const a = await openLoopback({ host: '::1' });
    const b = await openLoopback({ host: '::1' });
    open.push(a, b);
    expect(a.addPeerAddress(b.nodeId, b.localAddress)).toBe(true);
    expect(a.addPeerAddress(b.nodeId, encodeUdpAddress({ family: 4, host: '127.0.0.1', port: 9 }))).toBe(
      false,
    );
    const received = collect(b);
    a.send(b.nodeId, text('v6'));
    await waitFor(() => received.length === 1, 'delivery');
    expect(received[0]?.source).toEqual(a.localAddress);
    expect(received[0]?.source.length).toBe(19);
  });

  it('rejects invalid options with INVALID_ARGUMENT', async () => {
    await expect(openLoopback({ port: 70_000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(openLoopback({ host: 'localhost' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(openLoopback({ bootstrap: ['nohost'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(openLoopback({ maxDatagramSize: 5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('reports a port already in use as TRANSPORT', async () => {
    const a = await openLoopback();
    open.push(a);
    const address = decodeUdpAddress(a.localAddress);
    const port = address.ok ? address.value.port : 0;
    await expect(openLoopback({ port })).rejects.toMatchObject({ code: 'TRANSPORT' });
  });
});
