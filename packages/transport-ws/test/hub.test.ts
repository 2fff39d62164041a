import { cryptoRandom, randomNodeId } from '@shoal/core';
import { ManualTimers, waitFor } from '@shoal/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeFrame, encodeData, FrameType, type WsClient, type WsHub } from '../src/index.js';
import { boundClients, openClient, openHub, urlOf, vouchEverything } from './support/loopback.js';

describe('WsHub binding and shutdown', () => {
  const hubs: WsHub[] = [];
  const clients: WsClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(hubs.splice(0).map((hub) => hub.close()));
  });

  it('never binds a connection core does not vouch for, and closes it after the hello timeout', async () => {
    const hub = await openHub({ helloTimeoutMs: 300 });
    hubs.push(hub);
    const delivered: string[] = [];
    hub.onMessage((from) => delivered.push(from)); // hears the hello, but does not vouch
    const client = openClient([urlOf(hub)]);
    clients.push(client);
    client.setAnnouncement(Uint8Array.of(1));
    await waitFor(() => delivered.length === 1, 'the hello to reach the hub');
    expect(delivered).toEqual([client.nodeId]);
    expect(hub.stats().bound).toBe(0);
    hub.send(client.nodeId, Uint8Array.of(2));
    expect(hub.stats().unknownPeerDropped).toBe(1);
    await waitFor(() => hub.stats().helloTimeouts === 1, 'the unbound connection to be closed');
    await waitFor(
      () => client.stats().connectFailures + client.stats().failovers > 0,
      'the client to notice',
    );
  });

  it('refuses a token that names no live connection', async () => {
    const hub = await openHub();
    hubs.push(hub);
    expect(hub.addPeerAddress(hub.nodeId, Uint8Array.of(0x57, 0, 0, 0, 9))).toBe(false);
    expect(hub.addPeerAddress(hub.nodeId, Uint8Array.of(4, 127, 0, 0, 1, 0, 80))).toBe(false);
    expect(hub.stats().invalidAddresses).toBe(2);
  });

  it('introduces newcomers to peers already bound, both ways', async () => {
    const hub = await openHub();
    hubs.push(hub);
    vouchEverything(hub);
    const [first] = await boundClients(hub, 1);
    clients.push(first as WsClient);
    const ups: string[] = [];
    first?.onPeer((peer, change) => ups.push(`${peer}:${change}`));
    const [second] = await boundClients(hub, 1);
    clients.push(second as WsClient);
    await waitFor(() => ups.includes(`${second?.nodeId}:up`), 'the first client to hear of the second');
  });

  it('on close tells its clients the other hubs, then closes with 1012', async () => {
    const hub = await openHub({ hubs: ['ws://127.0.0.1:9/other-hub'] });
    const socket = new WebSocket(urlOf(hub));
    const frames: unknown[] = [];
    socket.on('message', (data: Buffer) => {
      const decoded = decodeFrame(new Uint8Array(data));
      if (decoded.ok) frames.push(decoded.value);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await waitFor(() => frames.length === 1, 'the welcome');
    await hub.close();
    expect(await closed).toBe(1012);
    expect(frames.at(-1)).toEqual({ type: FrameType.Hubs, hubs: ['ws://127.0.0.1:9/other-hub'] });
    expect(hub.stats().connections).toBe(0);
  });

  it('pings every connection each period and cuts one that stayed silent a whole period', async () => {
    const timers = new ManualTimers();
    const hub = await openHub({ timers });
    hubs.push(hub);
    vouchEverything(hub);
    const [alive] = await boundClients(hub, 1);
    clients.push(alive as WsClient);
    const silent = new WebSocket(urlOf(hub));
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('open', resolve));
    silent.send(encodeData(hub.nodeId, randomNodeId(cryptoRandom), Uint8Array.of(0)));
    await waitFor(() => hub.stats().bound === 2, 'both to be bound');
    // The silent one stops reading, so it never answers the ping; the other answers by itself.
    (silent as unknown as { _socket: { pause(): void } })._socket.pause();
    timers.advance(15_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    timers.advance(15_000);
    await waitFor(() => hub.stats().connections === 1, 'the silent connection to be cut');
    expect(hub.stats().heartbeatTimeouts).toBe(1);
    expect(hub.stats().bound).toBe(1);
    silent.terminate();
  });
});
