import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { MessageType } from '../protocol/message-type.js';
import { PeerKeys } from '../security/peer-keys.js';
import { decodeHello, KeyExchange } from './key-exchange.js';

/** A key exchange on a clock the test moves, recording hellos and released messages. */
function exchange() {
  const clock = { now: 0 };
  const hellos: { to: NodeId; wantsReply: boolean }[] = [];
  const resent: { to: NodeId; type: MessageType; bytes: number }[] = [];
  const keys = new PeerKeys(new Uint8Array(32).fill(1), () => clock.now);
  const subject = new KeyExchange({
    keys,
    timers: { now: () => clock.now, monotonic: () => clock.now, setTimeout: () => () => {} },
    roundTimeout: 200,
    sendHello: (to, body) => {
      const hello = decodeHello(body);
      if (hello.ok) hellos.push({ to, wantsReply: hello.value.wantsReply });
    },
    resend: (to, type, body) => resent.push({ to, type, bytes: body.length }),
    report: () => {},
  });
  const peerKey = (seed: number) => new PeerKeys(new Uint8Array(32).fill(seed), () => 0).publicKey;
  return { clock, hellos, resent, subject, peerKey };
}

describe('KeyExchange', () => {
  it('holds messages to a peer whose key is unknown, asks for its key, and sends them when its hello comes', () => {
    const { clock, hellos, resent, subject, peerKey } = exchange();
    const bob = 'bob' as NodeId;
    expect(subject.beforeSend(bob, MessageType.Membership, new Uint8Array(10))).toBe(false);
    expect(subject.beforeSend(bob, MessageType.Delta, new Uint8Array(20))).toBe(false);
    expect(hellos).toEqual([{ to: bob, wantsReply: true }]);
    clock.now = 1000;
    expect(subject.beforeSend(bob, MessageType.Digest, new Uint8Array(5))).toBe(false);
    expect(hellos).toHaveLength(2);
    clock.now = 1100; // the digest's round (200 ms) is still open; the others are 1.1 s old
    subject.handleHello(bob, { publicKey: peerKey(2), wantsReply: false }, () => {});
    expect(resent.map((m) => m.type)).toEqual([
      MessageType.Membership,
      MessageType.Delta,
      MessageType.Digest,
    ]);
    expect(subject.beforeSend(bob, MessageType.Delta, new Uint8Array(1))).toBe(true);
  });

  it('repeats an unanswered hello after 250 ms, then backs off to once a second, and starts short again later', () => {
    const { clock, hellos, subject } = exchange();
    const bob = 'bob' as NodeId;
    const sentAt: number[] = [];
    // A message to bob every 50 ms for 4 s: each would ask for a hello.
    for (let t = 0; t <= 4000; t += 50) {
      clock.now = t;
      const before = hellos.length;
      subject.beforeSend(bob, MessageType.Membership, new Uint8Array(1));
      if (hellos.length > before) sentAt.push(t);
    }
    expect(sentAt).toEqual([0, 250, 750, 1750, 2750, 3750]);
    // Quiet for more than 2 s: a new exchange repeats quickly again.
    for (const t of [7000, 7100, 7250]) {
      clock.now = t;
      subject.beforeSend(bob, MessageType.Membership, new Uint8Array(1));
    }
    expect(hellos.length).toBe(sentAt.length + 2);
  });

  it('drops a digest whose round has closed, and anything held longer than 2 s', () => {
    const { clock, resent, subject, peerKey } = exchange();
    const bob = 'bob' as NodeId;
    subject.beforeSend(bob, MessageType.Digest, new Uint8Array(5));
    subject.beforeSend(bob, MessageType.Delta, new Uint8Array(5));
    clock.now = 500;
    subject.beforeSend(bob, MessageType.Membership, new Uint8Array(5));
    clock.now = 2_400;
    subject.handleHello(bob, { publicKey: peerKey(2), wantsReply: false }, () => {});
    expect(resent.map((m) => m.type)).toEqual([MessageType.Membership]);
  });

  it('holds a bounded number of bytes however many unreachable peers are written to', () => {
    const { resent, subject, peerKey } = exchange();
    const peers = Array.from({ length: 300 }, (_, i) => `peer-${i}` as NodeId);
    for (const peer of peers) {
      for (let i = 0; i < 100; i++) subject.beforeSend(peer, MessageType.Delta, new Uint8Array(1000));
    }
    peers.forEach((peer, i) => {
      subject.handleHello(peer, { publicKey: peerKey(10 + (i % 200)), wantsReply: false }, () => {});
    });
    const bytes = resent.reduce((sum, m) => sum + m.bytes, 0);
    expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(Math.max(...peers.map((peer) => resent.filter((m) => m.to === peer).length))).toBeLessThanOrEqual(
      64,
    );
    expect(resent.length).toBeGreaterThan(0);
  });

  it('answers a hello that asks, and refuses nothing it has no reason to', () => {
    const { hellos, subject, peerKey } = exchange();
    let taken = 0;
    subject.handleHello('carol' as NodeId, { publicKey: peerKey(3), wantsReply: true }, () => taken++);
    expect(taken).toBe(1);
    expect(hellos).toEqual([{ to: 'carol', wantsReply: false }]);
    expect(subject.refused).toBe(0);
  });
});
