import { describe, expect, it } from 'vitest';
import { ErrorCode, isShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import type { Aead } from '../ports/aead.js';
import { ENVELOPE_VERSION } from './envelope-header.js';
import { Keyring } from './keyring.js';
import { MessageSealer, type MessageSealerOptions } from './message-sealer.js';
import { generateSecret } from './network-secret.js';

const alice = 'alice' as NodeId;
const bob = 'bob' as NodeId;
const secret = generateSecret();
const body = new TextEncoder().encode('{"lights":true}');

function sealer(options: Partial<MessageSealerOptions> = {}): MessageSealer {
  return new MessageSealer({
    networkId: 'home',
    self: alice,
    epoch: 0,
    keyring: new Keyring('home', [secret]),
    ...options,
  });
}

describe('MessageSealer', () => {
  it('drops traffic of another network before any crypto', () => {
    let opens = 0;
    const counting: Aead = {
      seal: () => new Uint8Array(16),
      open: () => {
        opens++;
        return undefined;
      },
    };
    // Sealed: another network's key id is not in the keyring (no tag travels with it).
    const work = sealer({ networkId: 'work', keyring: new Keyring('work', [secret]) });
    const home = sealer({ self: bob, aead: counting });
    expect(home.open(work.seal(body), alice)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(opens).toBe(0);
    // Open: the network tag tells.
    const openWork = sealer({ networkId: 'work', keyring: 'open' });
    const openHome = sealer({ self: bob, keyring: 'open' });
    expect(openHome.open(openWork.seal(body), alice)).toEqual({ ok: false, reason: 'wrong-network' });
  });

  it('never accepts open traffic when sealed, nor sealed traffic when open', () => {
    const open = sealer({ keyring: 'open' });
    expect(open.mode).toBe('open');
    expect(sealer({ self: bob }).open(open.seal(body), alice)).toEqual({
      ok: false,
      reason: 'mode-mismatch',
    });
    expect(sealer({ self: bob, keyring: 'open' }).open(sealer().seal(body), alice)).toEqual({
      ok: false,
      reason: 'mode-mismatch',
    });
  });

  it('carries the body in the clear in open mode', () => {
    const envelope = sealer({ keyring: 'open' }).seal(body);
    expect(Buffer.from(envelope).includes(Buffer.from(body))).toBe(true);
  });

  it('refuses a sealed message the transport attributes to another sender', () => {
    const receiver = sealer({ self: 'carol' as NodeId });
    const envelope = sealer().seal(body);
    expect(receiver.open(envelope, bob)).toEqual({ ok: false, reason: 'auth-failed' });
    expect(receiver.open(envelope, alice)).toMatchObject({ ok: true, sender: alice });
  });

  it('writes no sender id: the header is the same size for any id', () => {
    const short = sealer({ keyring: 'open', self: 'a' as NodeId }).seal(body);
    const long = sealer({ keyring: 'open', self: 'x'.repeat(64) as NodeId }).seal(body);
    expect(long.length).toBe(short.length);
  });

  it('drops another version, empty input and non-bytes as such', () => {
    const receiver = sealer({ self: bob });
    const envelope = sealer().seal(body);
    envelope[0] = ENVELOPE_VERSION - 1;
    expect(receiver.open(envelope, alice)).toEqual({ ok: false, reason: 'version' });
    expect(receiver.open(new Uint8Array(), alice)).toEqual({ ok: false, reason: 'malformed' });
    expect(receiver.open('hello' as unknown as Uint8Array, alice)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('survives an injected Aead that throws', () => {
    const throwing: Aead = {
      seal: () => new Uint8Array(16),
      open: () => {
        throw new Error('boom');
      },
    };
    expect(sealer({ self: bob, aead: throwing }).open(sealer().seal(body), alice)).toEqual({
      ok: false,
      reason: 'auth-failed',
    });
  });

  it('accepts a restarted sender (new epoch) and then refuses the old epoch', () => {
    const receiver = sealer({ self: bob });
    const before = sealer({ epoch: 1 });
    const late = before.seal(body);
    expect(receiver.open(before.seal(body), alice).ok).toBe(true);
    const restarted = sealer({ epoch: 2 });
    expect(receiver.open(restarted.seal(body), alice)).toMatchObject({ ok: true, epoch: 2, counter: 0 });
    // Refused, and told apart from a replay within the epoch: the sender may need to hear it.
    expect(receiver.open(late, alice)).toMatchObject({
      ok: false,
      reason: 'stale-epoch',
      epoch: 1,
      knownEpoch: 2,
    });
  });

  it('raises its own epoch on request, only upward, with a fresh counter', () => {
    const sender = sealer({ epoch: 3 });
    sender.seal(body);
    sender.raiseEpoch(2);
    expect(sender.epoch).toBe(3);
    sender.raiseEpoch(7);
    const receiver = sealer({ self: bob });
    expect(receiver.open(sender.seal(body), alice)).toMatchObject({ ok: true, epoch: 7, counter: 0 });
  });

  it('counts sealed, opened and dropped messages by reason', () => {
    const sender = sealer();
    const receiver = sealer({ self: bob });
    const envelope = sender.seal(body);
    receiver.open(envelope, alice);
    receiver.open(envelope, alice);
    receiver.open(new Uint8Array([ENVELOPE_VERSION]), alice);
    expect(sender.stats().sealed).toBe(1);
    const stats = receiver.stats();
    expect(stats.opened).toBe(1);
    expect(stats.dropped.replay).toBe(1);
    expect(stats.dropped.malformed).toBe(1);
    expect(stats.dropped['auth-failed']).toBe(0);
    expect(receiver.trackedSenders).toBe(1);
  });

  it('uses a fresh nonce for every message', () => {
    const nonces: number[] = [];
    const sender = sealer({
      randomBytes: (length) => {
        nonces.push(length);
        return new Uint8Array(length).fill(nonces.length);
      },
    });
    const a = sender.seal(body);
    const b = sender.seal(body);
    expect(nonces).toEqual([24, 24]);
    expect(a).not.toEqual(b);
  });

  it('validates its options', () => {
    const expectArgument = (options: Partial<MessageSealerOptions>) => {
      try {
        sealer(options);
        expect.unreachable();
      } catch (error) {
        expect(isShoalError(error, ErrorCode.InvalidArgument)).toBe(true);
      }
    };
    expectArgument({ epoch: -1 });
    expectArgument({ epoch: 1.5 });
    expectArgument({ self: 'not a node id' as NodeId });
    expectArgument({ networkId: 'work' });
    expectArgument({ networkId: '' });
  });
});

describe('MessageSealer.overhead', () => {
  it('bounds the growth of any body, sealed and open', () => {
    for (const keyring of ['open', new Keyring('home', [secret])] as const) {
      const sender = sealer({ self: 'f'.repeat(32) as NodeId, epoch: 2 ** 53 - 1, keyring });
      for (const size of [0, 1, 100, 1200]) {
        expect(sender.seal(new Uint8Array(size)).length - size).toBeLessThanOrEqual(sender.overhead);
      }
    }
    expect(sealer({ self: 'f'.repeat(32) as NodeId }).overhead).toBe(62);
    expect(sealer({ self: 'f'.repeat(32) as NodeId, keyring: 'open' }).overhead).toBe(26);
  });
});
