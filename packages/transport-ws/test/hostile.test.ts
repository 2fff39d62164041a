import { cryptoRandom, randomNodeId } from '@shoal/core';
import { waitFor } from '@shoal/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeData, type WsClient, type WsHub, type WsHubOptions } from '../src/index.js';
import { boundClients, openHub, urlOf, vouchEverything } from './support/loopback.js';

/** A raw `ws` connection to the hub that does whatever a test tells it to. */
async function raw(hub: WsHub): Promise<WebSocket> {
  const socket = new WebSocket(urlOf(hub));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('close', () => reject(new Error('closed before open')));
  });
  return socket;
}

function closeCode(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.readyState === socket.CLOSED) resolve(-1);
    socket.once('close', (code) => resolve(code));
  });
}

describe('WsHub under hostile input', () => {
  let hub: WsHub;
  let good: WsClient[];
  let sockets: WebSocket[];

  async function open(options: Partial<WsHubOptions> = {}): Promise<void> {
    hub = await openHub(options);
    vouchEverything(hub);
    good = await boundClients(hub, 2);
  }

  /** The two well-behaved clients still reach each other through the hub, and the hub reaches them. */
  async function stillServes(): Promise<void> {
    const [a, b] = good as [WsClient, WsClient];
    const got: string[] = [];
    b.onMessage((from, bytes) => got.push(`${from}:${bytes[0]}`));
    a.send(b.nodeId, Uint8Array.of(42));
    hub.send(b.nodeId, Uint8Array.of(43));
    await waitFor(() => got.length === 2, 'the well-behaved clients to be served');
    expect(got.sort()).toEqual([`${a.nodeId}:42`, `${hub.nodeId}:43`].sort());
  }

  beforeEach(() => {
    sockets = [];
  });

  afterEach(async () => {
    for (const socket of sockets) socket.terminate();
    await Promise.all(good.map((client) => client.close()));
    await hub.close();
  });

  it('closes a connection that sends a frame above maxPayload (1009)', async () => {
    await open({ maxPayload: 64 * 1024 });
    const socket = await raw(hub);
    sockets.push(socket);
    const closed = closeCode(socket);
    socket.send(new Uint8Array(64 * 1024 + 1));
    expect(await closed).toBe(1009);
    await waitFor(() => hub.stats().protocolErrors === 1, 'the oversize frame to be counted');
    await stillServes();
  });

  it('closes a connection that sends a text frame (1003)', async () => {
    await open();
    const socket = await raw(hub);
    sockets.push(socket);
    const closed = closeCode(socket);
    socket.send('hello?');
    expect(await closed).toBe(1003);
    expect(hub.stats().textFrames).toBe(1);
    await stillServes();
  });

  it('drops and counts garbage, and keeps the connection', async () => {
    await open();
    const socket = await raw(hub);
    sockets.push(socket);
    const garbage = [
      Uint8Array.of(),
      Uint8Array.of(9, 9, 9),
      Uint8Array.of(1, 200),
      Uint8Array.of(1, 2, 0x40),
    ];
    for (const bytes of garbage) socket.send(bytes);
    await waitFor(() => hub.stats().malformedDropped === garbage.length, 'the garbage to be counted');
    expect(socket.readyState).toBe(socket.OPEN);
    await stillServes();
  });

  it('closes a connection that sends no hello in time (1008)', async () => {
    await open({ helloTimeoutMs: 200 });
    const socket = await raw(hub);
    sockets.push(socket);
    expect(await closeCode(socket)).toBe(1008);
    expect(hub.stats().helloTimeouts).toBe(1);
    await stillServes();
  });

  it('closes a connection that sends more than maxHelloBytes before it is bound', async () => {
    await open({ maxHelloBytes: 4096 });
    const socket = await raw(hub);
    sockets.push(socket);
    const closed = closeCode(socket);
    // Claims to be someone, to the hub, but never authenticates (nothing vouches here but the hub's handler).
    for (let i = 0; i < 8; i++) socket.send(new Uint8Array(1024));
    expect(await closed).toBe(1008);
    expect(hub.stats().helloTooLarge).toBe(1);
    await stillServes();
  });

  it('refuses connections beyond the per-address limit (1013) and counts them', async () => {
    await open({ maxConnectionsPerAddress: 4 });
    // The good clients hold some of the 4 places for 127.0.0.1 (two, unless one is between
    // connections on a loaded machine): the flood gets the rest.
    await waitFor(() => hub.stats().connections === 2, 'the good clients to be connected');
    const refused: number[] = [];
    const flood = Array.from({ length: 10 }, () => {
      const socket = new WebSocket(urlOf(hub));
      socket.on('error', () => {});
      sockets.push(socket);
      return closeCode(socket).then((code) => {
        if (code === 1013) refused.push(code);
        return code;
      });
    });
    await waitFor(() => hub.stats().rejected === 8, 'eight connections to be refused');
    expect(hub.stats().connections).toBe(4);
    // Each refused client hears 1013 before the rest are cut (a cut would close it 1006).
    await waitFor(() => refused.length === 8, 'the eight refused clients to hear 1013');
    for (const socket of sockets.splice(0)) socket.terminate();
    expect((await Promise.all(flood)).filter((code) => code === 1013)).toHaveLength(8);
    await waitFor(() => hub.stats().connections === 2, 'the flood to be gone');
    await stillServes();
  });

  it('drops Data with a forged sender, and relaying from an unbound connection', async () => {
    await open();
    const [a, b] = good as [WsClient, WsClient];
    const socket = await raw(hub);
    sockets.push(socket);
    // Unbound: may talk to the hub only.
    socket.send(encodeData(b.nodeId, a.nodeId, Uint8Array.of(1)));
    await waitFor(() => hub.stats().unboundDropped === 1, 'the unbound relay to be dropped');
    // Bound as a fresh id (vouched by the test's stand-in for core), then lying about its sender.
    const mallory = randomNodeId(cryptoRandom);
    socket.send(encodeData(hub.nodeId, mallory, Uint8Array.of(0)));
    await waitFor(() => hub.stats().bound === 3, 'mallory to be bound');
    socket.send(encodeData(b.nodeId, a.nodeId, Uint8Array.of(2)));
    await waitFor(() => hub.stats().spoofedDropped === 1, 'the forged sender to be dropped');
    // And core refuses to move a bound connection to another id.
    const before = hub.stats().invalidAddresses;
    socket.send(encodeData(hub.nodeId, a.nodeId, Uint8Array.of(3)));
    await waitFor(() => hub.stats().spoofedDropped === 2, 'the second forgery to be dropped');
    expect(hub.stats().invalidAddresses).toBe(before);
    await stillServes();
  });

  it('bounds what it holds for a client that stops reading: drops its queue and counts it', async () => {
    await open({ pauseAboveBytes: 64 * 1024, dropAboveBytes: 256 * 1024 });
    const slow = await raw(hub);
    sockets.push(slow);
    const id = randomNodeId(cryptoRandom);
    slow.send(encodeData(hub.nodeId, id, Uint8Array.of(0)));
    await waitFor(() => hub.stats().bound === 3, 'the slow client to be bound');
    // Stop reading: the kernel buffers fill, then the socket's, then the queue.
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const chunk = new Uint8Array(hub.maxMessageSize);
    let maxQueued = 0;
    for (let i = 0; i < 400 && hub.stats().queueDrops === 0; i++) {
      hub.send(id, chunk);
      maxQueued = Math.max(maxQueued, hub.stats().queuedBytes);
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(hub.stats().queueDrops).toBeGreaterThan(0);
    expect(hub.stats().backpressureDropped).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(256 * 1024);
    await stillServes();
  });

  it('on a blind relay, an id goes to the connection that last sent as it', async () => {
    await open({ blind: true });
    const id = randomNodeId(cryptoRandom);
    const [real, squatter] = [await raw(hub), await raw(hub)];
    sockets.push(real, squatter);
    const got = { real: 0, squatter: 0 };
    real.on('message', () => got.real++);
    squatter.on('message', () => got.squatter++);
    const target = (good[0] as WsClient).nodeId;
    const claim = async (socket: WebSocket) => {
      const relayed = hub.stats().relayed;
      socket.send(encodeData(target, id, Uint8Array.of(0)));
      // At least: the good clients' own traffic may be relayed meanwhile.
      await waitFor(() => hub.stats().relayed >= relayed + 1, 'the frame to be relayed');
    };
    const sendTo = async (who: 'real' | 'squatter') => {
      const before = got[who];
      (good[1] as WsClient).send(id, Uint8Array.of(1));
      await waitFor(() => got[who] === before + 1, `the frame to reach the ${who}`);
    };
    await claim(real);
    await sendTo('real');
    await claim(squatter);
    await sendTo('squatter');
    await claim(real);
    await sendTo('real');
    await stillServes();
  });
});
