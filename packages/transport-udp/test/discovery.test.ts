import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import type { NodeId } from '@shoal/core';
import { waitFor } from '@shoal/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeUdpAddress, UdpTransport } from '../src/index.js';
import { encodeFrame } from '../src/wire/frame.js';
import { multicastAvailable } from './support/multicast-available.js';
import { nodeId, openLoopback, uniqueMulticast } from './support/nodes.js';

const text = (value: string) => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const open: UdpTransport[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.stdin?.end();
  await Promise.all(open.splice(0).map((transport) => transport.close()));
});

const probe = uniqueMulticast();
const multicast = await multicastAvailable(probe.group, probe.port);
if (!multicast)
  console.warn('transport-udp: IPv4 multicast on 127.0.0.1 is unavailable here; multicast tests skipped');

/**
 * Wires `transport` the way core does: answer an announcement by trusting its source (core
 * would first open the sealed hello) and sending a unicast reply.
 */
function answerAnnouncements(transport: UdpTransport): Map<NodeId, string[]> {
  const heard = new Map<NodeId, string[]>();
  transport.onMessage((from, bytes, source) => {
    const message = decode(bytes);
    heard.set(from, [...(heard.get(from) ?? []), message]);
    if (message.startsWith('hello')) {
      transport.addPeerAddress(from, source);
      transport.send(from, text('reply'));
    }
  });
  return heard;
}

describe('UdpTransport discovery', () => {
  it('announces to bootstrap peers at once, and the reply flows back over unicast', async () => {
    const b = await openLoopback();
    open.push(b);
    const bAddress = decodeUdpAddress(b.localAddress);
    if (!bAddress.ok) throw new Error('bad address');
    const a = await openLoopback({
      bootstrap: [`127.0.0.1:${bAddress.value.port}`],
      announcement: text('hello from a'),
      announceIntervalMs: 60_000,
    });
    open.push(a);
    const heardByA = answerAnnouncements(a);
    const heardByB = answerAnnouncements(b);
    await waitFor(() => heardByA.get(b.nodeId)?.includes('reply') === true, 'reply to the announcement');
    expect(heardByB.get(a.nodeId)).toEqual(['hello from a']);
    expect(a.stats().announcementsSent).toBe(1);
  });

  it('repeats announcements periodically and stops when cleared', async () => {
    const b = await openLoopback();
    open.push(b);
    const port = decodeUdpAddress(b.localAddress);
    const a = await openLoopback({
      bootstrap: [`127.0.0.1:${port.ok ? port.value.port : 0}`],
      announceIntervalMs: 20,
    });
    open.push(a);
    let count = 0;
    b.onMessage(() => count++);
    a.setAnnouncement(text('hello'));
    await waitFor(() => count >= 3, 'three announcements');
    a.setAnnouncement(undefined);
    const sent = a.stats().announcementsSent;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.stats().announcementsSent).toBe(sent);
  });

  it('refuses an announcement larger than maxMessageSize', async () => {
    const a = await openLoopback();
    open.push(a);
    expect(() => a.setAnnouncement(new Uint8Array(a.maxMessageSize + 1))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('finds a peer by broadcast with multicast off (loopback broadcast address)', async () => {
    const broadcast = { address: '127.255.255.255', port: uniqueMulticast().port };
    const options = { multicast: false as const, broadcast, announceIntervalMs: 100 };
    const a = await openLoopback({ ...options, announcement: text('hello from a') });
    const b = await openLoopback({ ...options, announcement: text('hello from b') });
    open.push(a, b);
    const heardByA = answerAnnouncements(a);
    const heardByB = answerAnnouncements(b);
    await waitFor(
      () =>
        heardByA.get(b.nodeId)?.includes('reply') === true &&
        heardByB.get(a.nodeId)?.includes('reply') === true,
      'both sides to discover each other by broadcast and exchange replies',
    );
    // Each hears its own broadcast too, and drops it.
    expect(a.stats().ownDropped).toBeGreaterThan(0);
  });

  it('refuses a broadcast option that is not an IPv4 address, or on an IPv6 transport', async () => {
    const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
    await expect(openLoopback({ broadcast: { address: 'everyone' } })).rejects.toEqual(invalid);
    await expect(openLoopback({ broadcast: { port: 70_000 } })).rejects.toEqual(invalid);
    await expect(openLoopback({ host: '::1', broadcast: true })).rejects.toEqual(invalid);
  });

  it.skipIf(!multicast)('finds a peer by multicast between two transports in this process', async () => {
    const group = uniqueMulticast();
    const options = { host: '127.0.0.1', interface: '127.0.0.1', multicast: group, announceIntervalMs: 100 };
    const a = await UdpTransport.open({
      ...options,
      nodeId: nodeId('a'),
      announcement: text('hello from a'),
    });
    const b = await UdpTransport.open({
      ...options,
      nodeId: nodeId('b'),
      announcement: text('hello from b'),
    });
    open.push(a, b);
    const heardByA = answerAnnouncements(a);
    const heardByB = answerAnnouncements(b);
    await waitFor(
      () =>
        heardByA.get(b.nodeId)?.includes('reply') === true &&
        heardByB.get(a.nodeId)?.includes('reply') === true,
      'both sides to discover each other and exchange replies',
    );
    expect(a.stats().ownDropped).toBeGreaterThan(0);
  });

  it.skipIf(!multicast)(
    'finds peers by multicast across two processes',
    async () => {
      const group = uniqueMulticast();
      const script = fileURLToPath(new URL('./support/child-node.ts', import.meta.url));
      const root = fileURLToPath(new URL('../../..', import.meta.url));
      const ids = [nodeId('child'), nodeId('child')];
      const lines = ids.map(() => [] as Array<{ from?: string; text?: string }>);
      ids.forEach((id, i) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', '--conditions=@shoal/source', script, id, group.group, String(group.port)],
          { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
        );
        children.push(child);
        let buffered = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const complete = buffered.split('\n');
          buffered = complete.pop() ?? '';
          for (const line of complete) lines[i]?.push(JSON.parse(line));
        });
      });
      const gotReply = (i: number, from: string) =>
        lines[i]?.some((line) => line.from === from && line.text === 'reply') === true;
      await waitFor(
        () => gotReply(0, ids[1]!) && gotReply(1, ids[0]!),
        'both processes to exchange replies',
        20_000,
      );
    },
    30_000,
  );
});

describe('UdpTransport discovery under junk', () => {
  it('keeps backing its announcements off while unauthenticated datagrams arrive from ever-new ids', async () => {
    const sink = await openLoopback();
    open.push(sink);
    const sinkAddress = decodeUdpAddress(sink.localAddress);
    const victim = await openLoopback({
      bootstrap: [`127.0.0.1:${sinkAddress.ok ? sinkAddress.value.port : 0}`],
      announcement: text('hello from the victim'),
      announceIntervalMs: 100,
    });
    open.push(victim);
    const victimAddress = decodeUdpAddress(victim.localAddress);
    if (!victimAddress.ok) throw new Error('bad address');
    const junk = createSocket('udp4');
    const started = Date.now();
    // 2 s of datagrams from a fresh id every 10 ms. Each used to restart the backoff, keeping
    // the victim at its fastest announcement rate (~20 in 2 s); backed off it sends ~7.
    for (let i = 0; Date.now() - started < 2000; i++) {
      junk.send(encodeFrame(nodeId(`junk${i}`), text('junk')), victimAddress.value.port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    junk.close();
    expect(victim.stats().announcementsSent).toBeLessThan(11);
  });
});
