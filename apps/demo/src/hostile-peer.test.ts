import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, type NodeId, SeededRandom } from '@shoal/core';
import { afterEach, describe, expect, it } from 'vitest';
import { HostilePeer, type HostileTarget } from './hostile-peer.js';
import { testNetwork } from './test-network.js';
import { startUdpNode, type UdpNode } from './udp-node.js';
import { waitFor } from './wait-for.js';

const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A port free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('the soak’s hostile peer, against one node over real sealed UDP', () => {
  it('gets past the sealing layer with every attack, each refused where it should be; the node restarts after', async () => {
    const { invite, multicastPort, runId } = testNetwork();
    const dataDir = mkdtempSync(join(tmpdir(), 'shoal-hostile-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const id = `victim-${runId}`;
    const start = () =>
      startUdpNode({
        id,
        secret: invite,
        multicastPort,
        dataDir,
        relay: { port, advertise: `127.0.0.1:${port}`, bootstrap: [] },
      });
    let victim: UdpNode | undefined = await start();
    cleanup.push(() => victim?.node.dispose());
    const channel = await victim.node.channel('demo');
    const map = channel.map('sensors');
    const stream = channel.stream('chat');
    await stream.append(new TextEncoder().encode('mine'));
    const peer = await HostilePeer.open(invite, runId, new SeededRandom(1));
    cleanup.push(() => peer.close());
    const target: HostileTarget = { id: id as NodeId, host: '127.0.0.1', port };
    const errors = () => victim?.node.health().errors ?? {};

    peer.incarnationBomb(target);
    peer.futureClaim(target, `alice-${runId}` as NodeId);
    peer.fragmentFlood(target, 2000);
    peer.oversizedValues(target);
    peer.surrogateKeys(target);
    peer.futureEntries(target);
    peer.forgeEntries(target, id as NodeId, [1]);
    await waitFor(
      () =>
        (errors()[ErrorCode.ClockDrift] ?? 0) >= 1 &&
        (errors()[ErrorCode.LimitExceeded] ?? 0) >= 1 &&
        (errors()[ErrorCode.StreamConflict] ?? 0) >= 1 &&
        (errors()[ErrorCode.DecodeFailed] ?? 0) >= 1,
      { timeoutMs: 15_000, what: 'the victim to refuse each attack' },
    );
    const { dropped } = victim.node.health().sealing;
    expect(dropped['auth-failed']).toBe(0);
    expect(dropped.malformed).toBe(0);
    expect(
      [...map.keys()].filter((key) => key.startsWith('oversized-') || key.startsWith('future-')),
    ).toEqual([]);
    // The honest keys are ASCII and an accepted hostile one could only hold U+FFFD: no surrogates.
    expect([...map.keys()].filter((key) => /[\uD800-\uDFFF]/.test(key))).toEqual([]);
    expect(stream.getAll().map((entry) => new TextDecoder().decode(entry.payload))).toEqual(['mine']);
    // The ping at 2^53 - 1 does not decode (a dropped membership message); the one at
    // MAX_INCARNATION - 1 is too far above this node's incarnation to refute: it stays small.
    expect(victim.node.stats().membership.dropped).toBeGreaterThan(0);
    const self = () => victim?.node.members().find((member) => member.id === id);
    expect(self()?.incarnation).toBeLessThan(2 ** 16);

    // Not bricked: it restarts on its data, and what the peer sent before is refused as a replay.
    const sent = peer.sentTo(target.id);
    await victim.node.dispose();
    victim = undefined;
    victim = await start();
    await (await victim.node.channel('demo')).map('sensors').set('after', 1);
    expect(self()?.incarnation).toBeLessThan(2 ** 16);
    peer.replay(target, sent);
    await waitFor(() => (victim?.node.health().sealing.dropped.replay ?? 0) > 0, {
      timeoutMs: 15_000,
      what: 'replays to be dropped',
    });
    expect(victim.node.health().sealing.dropped['auth-failed']).toBe(0);
  }, 60_000);
});
