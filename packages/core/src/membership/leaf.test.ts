import { ManualTimers } from '@shoal/testkit';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { SeededRandom } from '../ports/seeded-random.js';
import { lanConfig } from './config.js';
import { Membership } from './membership.js';
import { decodeMessage } from './messages.js';

const hubId = 'hub' as NodeId;
const otherHubId = 'hub-2' as NodeId;
const clientIds = ['c1', 'c2', 'c3'] as NodeId[];

/** Memberships wired to each other through a queue that the test drains. */
function network() {
  const timers = new ManualTimers();
  const queue: { from: NodeId; to: NodeId; body: Uint8Array }[] = [];
  const nodes = new Map<NodeId, Membership>();
  const sentTo = new Map<NodeId, number>();
  const open = (self: NodeId, leaf: boolean) => {
    const membership = new Membership({
      self,
      timers,
      random: new SeededRandom(self.length),
      config: lanConfig({ leaf }),
      incarnation: 0,
      send: (to, body) => {
        sentTo.set(to, (sentTo.get(to) ?? 0) + 1);
        queue.push({ from: self, to, body });
      },
    });
    nodes.set(self, membership);
    membership.start();
    return membership;
  };
  const drain = () => {
    for (let message = queue.shift(); message !== undefined; message = queue.shift()) {
      const receiver = nodes.get(message.to);
      if (receiver === undefined) continue;
      // As the Coordinator does for every authenticated message.
      receiver.noteAlive(message.from);
      const piggyback = receiver.takePiggyback(1000);
      receiver.handleMessage(message.from, message.body);
      if (piggyback !== undefined) nodes.get(message.from)?.handlePiggyback(message.to, piggyback);
    }
  };
  return { timers, open, drain, sentTo, queue };
}

describe('Membership leaves (config leaf)', () => {
  it('a hub never lists, gossips or pushes to its leaf clients, and leaves learn the hubs', () => {
    const net = network();
    const hub = net.open(hubId, false);
    const otherHub = net.open(otherHubId, false);
    hub.addSeed(otherHubId);
    net.drain();
    const clients = clientIds.map((id) => net.open(id, true));
    for (const client of clients) client.addSeed(hubId);
    // The hub hears from every client (as the Coordinator tells it on each message).
    for (const client of clientIds) hub.addSeed(client);
    net.drain();
    for (let i = 0; i < 30; i++) {
      net.timers.advance(1000);
      net.drain();
    }
    const ids = (membership: Membership) => membership.members().map((member) => member.id);
    expect(ids(hub).sort()).toEqual([hubId, otherHubId].sort());
    expect(ids(otherHub).sort()).toEqual([hubId, otherHubId].sort());
    clients.forEach((client, i) => {
      // A leaf knows the hubs (and itself), never another leaf.
      expect(ids(client).sort()).toEqual([clientIds[i], hubId, otherHubId].sort());
      expect(client.leader()).toBe(otherHubId > hubId ? otherHubId : hubId);
    });
    // After the first exchange the hub sends a leaf only answers, never its own push-pulls:
    // a client is not retried as a seed. Count push-pull requests from the hub to clients.
    const before = clientIds.map((id) => net.sentTo.get(id) ?? 0);
    net.queue.length = 0;
    for (const client of clientIds) hub.noteAlive(client);
    expect(net.queue.filter((message) => message.from === hubId)).toEqual([]);
    expect(clientIds.map((id) => net.sentTo.get(id) ?? 0)).toEqual(before);
  });

  it('a leaf never puts itself in a push-pull it sends', () => {
    const net = network();
    const leaf = net.open(clientIds[0] as NodeId, true);
    leaf.addSeed(hubId);
    const pushPull = net.queue.find((message) => message.to === hubId);
    const decoded = decodeMessage(pushPull?.body ?? new Uint8Array());
    expect(decoded.ok && decoded.value.type === 'push-pull' ? decoded.value.members : undefined).toEqual([]);
  });
});
