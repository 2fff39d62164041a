import { type NodeId, SeededRandom } from '@shoal/core';
import { ManualTimers } from '@shoal/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeHubs,
  encodeWelcome,
  FrameType,
  WsClient,
  type WsClientOptions,
} from '../src/index.js';
import { FakeWebSocket } from './support/fake-websocket.js';

const self = 'client' as NodeId;
const hubs = ['ws://a', 'ws://b', 'ws://c'];

function setup(options: Partial<WsClientOptions> = {}) {
  const timers = new ManualTimers();
  const client = new WsClient({
    nodeId: self,
    hubs,
    WebSocket: FakeWebSocket,
    timers,
    random: { next: () => 0.5 },
    wake: false,
    ...options,
  });
  const latest = () => FakeWebSocket.made.at(-1) as FakeWebSocket;
  const frames = (socket: FakeWebSocket) => socket.sent.map((bytes) => decodeFrame(bytes));
  return { timers, client, latest, frames };
}

describe('WsClient failover (manual clock, scripted hubs)', () => {
  beforeEach(() => {
    FakeWebSocket.made.length = 0;
  });

  it('tries each hub at once, then backs off between whole passes', () => {
    const { timers } = setup();
    const attemptsAt: number[] = [];
    // Every hub refuses at once; step the clock in 50 ms ticks until the next attempt.
    for (let i = 0; i < 12; i++) {
      while (FakeWebSocket.made.length === i) timers.advance(50);
      attemptsAt.push(timers.monotonic());
      (FakeWebSocket.made[i] as FakeWebSocket).drop();
      timers.advance(0);
    }
    const gaps = attemptsAt.slice(1).map((at, i) => at - (attemptsAt[i] as number));
    // random() = 0.5, so each wait is exactly min(10 s, 500·2^n): two immediate tries per pass.
    expect(gaps).toEqual([0, 0, 500, 0, 0, 1000, 0, 0, 2000, 0, 0]);
  });

  it('gives up a hub that does not welcome within 4 s and tries the next at once', () => {
    const { timers, latest } = setup();
    const first = latest();
    timers.advance(3999);
    expect(FakeWebSocket.made).toHaveLength(1);
    timers.advance(1);
    expect(first.closedWith).toBe(1000);
    expect(FakeWebSocket.made).toHaveLength(2);
    expect(latest().url).not.toBe(first.url);
  });

  it('on welcome: reports the hub up, sends the hello, learns hubs; on silence: pings, then fails over', () => {
    const { timers, client, latest, frames } = setup();
    const events: string[] = [];
    client.onPeer((peer, change) => events.push(`${peer}:${change}`));
    client.setAnnouncement(Uint8Array.of(7));
    const socket = latest();
    socket.receive(encodeWelcome('hub-a' as NodeId, false, ['ws://d', 'http://not-a-hub']));
    expect(client.hub).toBe(socket.url);
    expect(client.hubs).toContain('ws://d');
    expect(client.hubs).not.toContain('http://not-a-hub');
    expect(events).toEqual(['hub-a:up']);
    const hello = frames(socket)[0];
    expect(hello?.ok && hello.value).toMatchObject({ type: FrameType.Data, to: 'hub-a', from: self });
    timers.advance(10_000);
    expect(frames(socket).at(-1)).toEqual({ ok: true, value: { type: FrameType.Ping } });
    timers.advance(15_000);
    expect(client.stats().failovers).toBe(1);
    expect(events).toEqual(['hub-a:up', 'hub-a:down']);
    // It was up for longer than 5 s, so the next hub is tried at once.
    expect(FakeWebSocket.made).toHaveLength(2);
    expect(latest().url).not.toBe(socket.url);
  });

  it('drops sends while disconnected, and never calls back once closed', async () => {
    const { client, latest } = setup();
    client.send('peer' as NodeId, Uint8Array.of(1));
    expect(client.stats().notConnectedDropped).toBe(1);
    const seen: string[] = [];
    client.onMessage(() => seen.push('message'));
    await client.close();
    latest().receive(encodeWelcome('hub-a' as NodeId, false, []));
    expect(seen).toEqual([]);
    expect(latest().closedWith).toBe(1000);
  });

  it('leaves out a hub that is this very node, and drops text frames', () => {
    const { timers, client, latest } = setup({
      hubs: ['ws://me', 'ws://other'],
      random: new SeededRandom(2),
    });
    let socket = latest();
    if (socket.url === 'ws://other') {
      socket.drop();
      timers.advance(0);
      socket = latest();
    }
    expect(socket.url).toBe('ws://me');
    socket.receive(encodeWelcome(self, false, []));
    expect(client.hubs).toEqual(['ws://other']);
    timers.advance(0);
    const next = latest();
    expect(next.url).toBe('ws://other');
    next.receive(encodeWelcome('hub' as NodeId, false, []));
    next.receive('text');
    next.receive(encodeHubs(['ws://third']));
    expect(client.stats().textDropped).toBe(1);
    expect(client.hubs).toEqual(['ws://other', 'ws://third']);
  });

  it('reconnects at once, backoff reset, when the browser comes back online', () => {
    const listeners = new Map<string, () => void>();
    const wake = {
      addEventListener: (type: string, listener: () => void) => listeners.set(type, listener),
      removeEventListener: (type: string) => listeners.delete(type),
    };
    const { timers, client } = setup({ hubs: ['ws://a'], wake });
    // Fail a few passes: the wait grows to seconds.
    for (let i = 0; i < 4; i++) {
      while (FakeWebSocket.made.length === i) timers.advance(50);
      (FakeWebSocket.made[i] as FakeWebSocket).drop();
    }
    expect(FakeWebSocket.made).toHaveLength(4);
    listeners.get('online')?.();
    expect(FakeWebSocket.made).toHaveLength(5);
    void client.close();
    expect([...listeners.keys()]).toEqual([]);
  });
});
