import { ManualTimers } from '@shoal/testkit';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { SeededRandom } from '../ports/seeded-random.js';
import { lanConfig } from './config.js';
import { MAX_INCARNATION } from './member-state.js';
import { Membership } from './membership.js';
import { decodeMessage, encodeMessage, type MembershipMessage } from './messages.js';
import { encodePiggyback, encodeUpdate } from './updates.js';

const self = 'me' as NodeId;
const peer = 'peer' as NodeId;

function setup(incarnation = 4) {
  const timers = new ManualTimers();
  const sent: { to: NodeId; message: MembershipMessage }[] = [];
  const incarnations: number[] = [];
  const membership = new Membership({
    self,
    timers,
    random: new SeededRandom(1),
    config: lanConfig(),
    incarnation,
    onIncarnation: (n) => incarnations.push(n),
    send: (to, body) => {
      const decoded = decodeMessage(body);
      if (!decoded.ok) throw new Error(decoded.error);
      sent.push({ to, message: decoded.value });
    },
  });
  membership.start();
  return { timers, sent, incarnations, membership };
}

describe('Membership', () => {
  it('starts one incarnation above the persisted one and reports it', () => {
    const { membership, incarnations } = setup(4);
    expect(membership.incarnation).toBe(5);
    expect(incarnations).toEqual([5]);
    expect(membership.members()).toEqual([{ id: self, state: 'alive', incarnation: 5 }]);
    expect(membership.leader()).toBe(self);
  });

  it('drops and counts undecodable bodies and piggybacks, and never throws on them', () => {
    const { membership, sent } = setup();
    membership.handleMessage(peer, Uint8Array.of(1, 200, 3));
    membership.handlePiggyback(peer, Uint8Array.of(7, 7, 7));
    membership.handleMessage(peer, encodeMessage({ type: 'ping', seq: 1, target: 'other' as NodeId }));
    expect(membership.stats().dropped).toBe(3);
    expect(sent).toEqual([]);
  });

  it('acks a ping, and refutes at once when the ping says it is suspected (buddy system)', () => {
    const { membership, sent, incarnations } = setup(4);
    membership.handleMessage(peer, encodeMessage({ type: 'ping', seq: 9, target: self }));
    expect(sent).toEqual([{ to: peer, message: { type: 'ack', seq: 9 } }]);
    membership.handleMessage(
      peer,
      encodeMessage({ type: 'ping', seq: 10, target: self, suspectedIncarnation: 5 }),
    );
    expect(membership.incarnation).toBe(6);
    expect(incarnations).toEqual([5, 6]);
    expect(membership.stats()).toMatchObject({ refutations: 1, awareness: 1 });
  });

  it('refutes gossip that it is dead, and ignores gossip about an older incarnation', () => {
    const { membership } = setup(4);
    const dead = (incarnation: number) =>
      encodePiggyback([encodeUpdate({ kind: 'dead', node: self, incarnation, from: peer })]);
    membership.handlePiggyback(peer, dead(4));
    expect(membership.incarnation).toBe(5);
    membership.handlePiggyback(peer, dead(5));
    expect(membership.incarnation).toBe(6);
  });

  it('learns a member and its address from gossip, and answers a push-pull with its own list', () => {
    const addresses: [NodeId, number[]][] = [];
    const timers = new ManualTimers();
    const sent: MembershipMessage[] = [];
    const membership = new Membership({
      self,
      timers,
      random: new SeededRandom(2),
      config: lanConfig(),
      incarnation: 0,
      localAddress: Uint8Array.of(9),
      onAddress: (id, address) => addresses.push([id, [...address]]),
      send: (_to, body) => {
        const decoded = decodeMessage(body);
        if (decoded.ok) sent.push(decoded.value);
      },
    });
    const events: string[] = [];
    membership.onEvent((event) => events.push(`${event.type}:${event.peer}`));
    membership.start();
    membership.handleMessage(
      peer,
      encodeMessage({
        type: 'push-pull',
        reply: false,
        members: [{ id: peer, state: 'alive', incarnation: 3, address: Uint8Array.of(1, 2) }],
      }),
    );
    expect(addresses).toEqual([[peer, [1, 2]]]);
    expect(events).toEqual(['joined:peer', 'leader-changed:peer']);
    expect(membership.aliveMembers()).toEqual([peer]);
    expect(sent).toContainEqual({
      type: 'push-pull',
      reply: true,
      members: [
        { id: self, state: 'alive', incarnation: 1, address: Uint8Array.of(9) },
        { id: peer, state: 'alive', incarnation: 3, address: Uint8Array.of(1, 2) },
      ],
    });
  });

  it('suspects a member that answers neither the ping nor the ping-req, with nacks raising awareness', () => {
    const { membership, sent, timers } = setup();
    for (const id of ['a', 'b', 'c']) {
      membership.handlePiggyback(
        id as NodeId,
        encodePiggyback([encodeUpdate({ kind: 'alive', node: id as NodeId, incarnation: 1 })]),
      );
    }
    timers.advance(1000);
    const ping = sent.find((s) => s.message.type === 'ping');
    expect(ping).toBeDefined();
    timers.advance(500);
    const pingReqs = sent.filter((s) => s.message.type === 'ping-req');
    expect(pingReqs).toHaveLength(2);
    timers.advance(600);
    expect(membership.members().find((m) => m.id === ping?.to)?.state).toBe('suspect');
    // Two helpers were asked and neither sent a nack: Lifeguard blames our own health.
    expect(membership.stats().awareness).toBe(2);
  });

  it('keeps a suspect that is still heard from suspect instead of declaring it dead', () => {
    const { membership, timers } = setup();
    const a = 'a' as NodeId;
    const b = 'b' as NodeId;
    const gossip = (update: Parameters<typeof encodeUpdate>[0]) =>
      membership.handlePiggyback(b, encodePiggyback([encodeUpdate(update)]));
    gossip({ kind: 'alive', node: a, incarnation: 1 });
    gossip({ kind: 'alive', node: b, incarnation: 1 });
    gossip({ kind: 'suspect', node: a, incarnation: 1, from: b });
    const stateOfA = () => membership.members().find((m) => m.id === a)?.state;
    for (let t = 0; t < 60; t++) {
      membership.noteAlive(a);
      timers.advance(1000);
    }
    expect(stateOfA()).toBe('suspect');
    timers.advance(60_000);
    expect(stateOfA()).toBe('dead');
  });

  it('probes a member it learns is suspect next, out of turn, until the suspicion ends', () => {
    const { membership, sent, timers } = setup();
    const members = ['a', 'b', 'c', 'd', 'e'] as NodeId[];
    for (const id of members) {
      membership.handlePiggyback(
        id,
        encodePiggyback([encodeUpdate({ kind: 'alive', node: id, incarnation: 1 })]),
      );
    }
    const suspect = 'd' as NodeId;
    membership.handlePiggyback(
      'a' as NodeId,
      encodePiggyback([
        encodeUpdate({ kind: 'suspect', node: suspect, incarnation: 1, from: 'a' as NodeId }),
      ]),
    );
    const pings = () => sent.filter((s) => s.message.type === 'ping').map((s) => s.to);
    // The suspect stays silent: it is the target of every probe (the buddy ping tells it).
    for (let step = 0; step < 200 && pings().length < 3; step++) timers.advance(100);
    expect(pings()).toEqual([suspect, suspect, suspect]);
    expect(sent.find((s) => s.message.type === 'ping')?.message).toMatchObject({ suspectedIncarnation: 1 });
    // An out-of-turn probe that fails accuses nobody: the suspicion gained no confirmation.
    expect(membership.stats().suspicions).toBe(1);
    membership.handlePiggyback(
      suspect,
      encodePiggyback([encodeUpdate({ kind: 'alive', node: suspect, incarnation: 2 })]),
    );
    sent.length = 0;
    // Refuted: back to the round-robin (slow by now: the unanswered probes raised awareness).
    timers.advance(60_000);
    expect(new Set(pings()).size).toBeGreaterThan(1);
  });

  it('answers a buddy ping about an older incarnation by announcing the current one again', () => {
    const { membership, sent } = setup(4);
    membership.handleMessage(
      peer,
      encodeMessage({ type: 'ping', seq: 1, target: self, suspectedIncarnation: 5 }),
    );
    expect(membership.incarnation).toBe(6);
    // The prober missed that refutation: the ack's piggyback carries alive at 6 again.
    expect(membership.takePiggyback(1000)).toBeDefined();
    membership.handleMessage(
      peer,
      encodeMessage({ type: 'ping', seq: 2, target: self, suspectedIncarnation: 5 }),
    );
    expect(membership.incarnation).toBe(6);
    expect(sent.at(-1)).toEqual({ to: peer, message: { type: 'ack', seq: 2 } });
    expect(membership.takePiggyback(1000)).toEqual(
      encodePiggyback([encodeUpdate({ kind: 'alive', node: self, incarnation: 6 })]),
    );
  });

  it('contacts at most one new seed per probe period, however many a transport names at once', () => {
    const { membership, sent, timers } = setup();
    for (let i = 0; i < 50; i++) membership.addSeed(`seed-${i}` as NodeId);
    const pushPulls = () => sent.filter((s) => s.message.type === 'push-pull').length;
    expect(pushPulls()).toBe(1);
    timers.advance(1000);
    // Still alone after a probe period: another seed is tried.
    expect(pushPulls()).toBe(2);
  });

  it('leaves at once: gossips to live members now and resolves without the clock moving', async () => {
    const { membership, sent } = setup();
    membership.handlePiggyback(
      peer,
      encodePiggyback([encodeUpdate({ kind: 'alive', node: peer, incarnation: 1 })]),
    );
    sent.length = 0;
    let resolved = false;
    const leaving = membership.leave().then(() => {
      resolved = true;
    });
    await leaving;
    expect(resolved).toBe(true);
    expect(sent).toEqual([{ to: peer, message: { type: 'gossip' } }]);
    expect(membership.members().find((member) => member.id === self)?.state).toBe('left');
  });
});

describe('Membership under a hostile keyed peer', () => {
  it('drops a ping that names an incarnation beyond MAX_INCARNATION, so nothing unreadable is persisted', () => {
    const { membership, incarnations } = setup(4);
    const ping = encodeMessage({ type: 'ping', seq: 1, target: self, suspectedIncarnation: 2 ** 53 - 1 });
    membership.handleMessage(peer, ping);
    expect(membership.incarnation).toBe(5);
    expect(incarnations).toEqual([5]);
    expect(membership.stats().dropped).toBe(1);
  });

  it('refutes a suspicion a little above its incarnation (lost state), not one millions above', () => {
    const { membership, incarnations } = setup(4);
    membership.handleMessage(
      peer,
      encodeMessage({ type: 'ping', seq: 1, target: self, suspectedIncarnation: 9 }),
    );
    expect(membership.incarnation).toBe(10);
    membership.handleMessage(
      peer,
      encodeMessage({ type: 'ping', seq: 2, target: self, suspectedIncarnation: MAX_INCARNATION - 1 }),
    );
    expect(membership.incarnation).toBe(10);
    expect(incarnations).toEqual([5, 10]);
    expect(Math.max(...incarnations)).toBeLessThanOrEqual(MAX_INCARNATION);
  });
});
