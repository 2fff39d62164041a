import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { selfCertifyingId } from '../ids/self-certifying-id.js';
import { Keyring } from './keyring.js';
import { MessageSealer } from './message-sealer.js';
import { SECRET_BYTES } from './network-secret.js';
import { PEER_KEY_REBIND_AFTER_MS, PeerKeys } from './peer-keys.js';

const NETWORK = 'home';
const secrets = fc.uint8Array({ minLength: SECRET_BYTES, maxLength: SECRET_BYTES });
const identities = fc.uint8Array({ minLength: 32, maxLength: 32 });
const bodies = fc.uint8Array({ maxLength: 600 });

/** One node: a sealer with an identity, on a clock the test moves. */
function node(id: string, secret: Uint8Array, identity: Uint8Array, clock: { now: number }, epoch = 1) {
  const keys = new PeerKeys(identity, () => clock.now);
  const sealer = new MessageSealer({
    networkId: NETWORK,
    self: id as NodeId,
    epoch,
    keyring: new Keyring(NETWORK, [secret]),
    identity: keys,
  });
  return { id: id as NodeId, keys, sealer };
}

/** Each of `a` and `b` learns the other's key, as their hellos would tell them. */
function introduce(a: ReturnType<typeof node>, b: ReturnType<typeof node>): void {
  a.keys.offer(b.id, b.keys.publicKey);
  b.keys.offer(a.id, a.keys.publicKey);
}

describe('pair sealing (every node its own key, ADR 0045)', () => {
  it('a pair-sealed message opens only at its receiver, as from its sender, and binds the key', () => {
    fc.assert(
      fc.property(secrets, identities, identities, identities, bodies, (secret, a, b, c, body) => {
        fc.pre(new Set([a, b, c].map((key) => key.join())).size === 3);
        const clock = { now: 0 };
        const alice = node('alice', secret, a, clock);
        const bob = node('bob', secret, b, clock);
        const carol = node('carol', secret, c, clock);
        introduce(alice, bob);
        carol.keys.offer(alice.id, alice.keys.publicKey);
        const envelope = alice.sealer.seal(body, bob.id);
        // Carol holds the secret and knows alice's key, but the pair key is alice's and bob's.
        expect(carol.sealer.open(envelope, alice.id)).toMatchObject({ ok: false, reason: 'auth-failed' });
        // Relabelled as from carol, it fails at bob (he has no key for carol yet).
        expect(bob.sealer.open(envelope, carol.id)).toMatchObject({ ok: false, reason: 'unknown-peer-key' });
        expect(bob.sealer.open(envelope, alice.id)).toEqual({
          ok: true,
          sender: alice.id,
          body,
          epoch: 1,
          counter: 0,
          paired: true,
        });
        expect(bob.keys.publicKeyOf(alice.id)).toEqual(alice.keys.publicKey);
      }),
      { numRuns: 40 },
    );
  });

  it('a holder of the secret cannot speak as a bound node, by hello or by seal, while it is heard', () => {
    fc.assert(
      fc.property(
        secrets,
        identities,
        identities,
        identities,
        fc.array(bodies, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: PEER_KEY_REBIND_AFTER_MS - 1 }),
        (secret, a, b, m, messages, silence) => {
          fc.pre(new Set([a, b, m].map((key) => key.join())).size === 3);
          const clock = { now: 0 };
          const alice = node('alice', secret, a, clock);
          const bob = node('bob', secret, b, clock);
          // Mallory has her own identity and claims alice's id.
          const mallory = node('alice', secret, m, clock);
          introduce(alice, bob);
          expect(bob.sealer.open(alice.sealer.seal(new Uint8Array([1]), bob.id), alice.id).ok).toBe(true);
          clock.now += silence;
          // Her hello offering another key for alice is refused; her seals never open.
          expect(bob.keys.offer(alice.id, mallory.keys.publicKey)).toBe('refused');
          mallory.keys.offer(bob.id, bob.keys.publicKey);
          for (const body of messages) {
            expect(bob.sealer.open(mallory.sealer.seal(body, bob.id), alice.id).ok).toBe(false);
            // Sealed under the network key alone it opens, but as unpaired: the courier drops it.
            const unpaired = bob.sealer.open(mallory.sealer.seal(body), alice.id);
            expect(unpaired.ok && unpaired.paired).toBe(false);
          }
          expect(bob.keys.publicKeyOf(alice.id)).toEqual(alice.keys.publicKey);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('no other key is ever taken for a self-certifying id, heard or silent (ADR 0055)', () => {
    fc.assert(
      fc.property(secrets, identities, identities, identities, (secret, a, b, m) => {
        fc.pre(new Set([a, b, m].map((key) => key.join())).size === 3);
        const clock = { now: 0 };
        const bob = node('bob', secret, b, clock);
        const aliceKey = new PeerKeys(a, () => clock.now).publicKey;
        const aliceId = selfCertifyingId(aliceKey);
        const mallory = node(aliceId, secret, m, clock);
        // Before alice was ever heard, and long after: mallory's key is not alice's.
        expect(bob.keys.offer(aliceId, mallory.keys.publicKey)).toBe('invalid');
        clock.now += PEER_KEY_REBIND_AFTER_MS * 2;
        expect(bob.keys.offer(aliceId, mallory.keys.publicKey)).toBe('invalid');
        mallory.keys.offer(bob.id, bob.keys.publicKey);
        expect(bob.sealer.open(mallory.sealer.seal(new Uint8Array([1]), bob.id), aliceId).ok).toBe(false);
        expect(bob.keys.offer(aliceId, aliceKey)).toBe('candidate');
      }),
      { numRuns: 30 },
    );
  });

  it('a node silent for the rebind time may come back under its id with a new key', () => {
    const secret = new Uint8Array(SECRET_BYTES).fill(9);
    const clock = { now: 0 };
    const alice = node('alice', secret, new Uint8Array(32).fill(1), clock);
    const bob = node('bob', secret, new Uint8Array(32).fill(2), clock);
    // Its data directory lost, it boots with a new key (at a later epoch, or peers would take
    // its messages for replays).
    const reborn = node('alice', secret, new Uint8Array(32).fill(3), clock, 2);
    introduce(alice, bob);
    expect(bob.sealer.open(alice.sealer.seal(new Uint8Array([1]), bob.id), alice.id).ok).toBe(true);
    clock.now += PEER_KEY_REBIND_AFTER_MS;
    expect(bob.keys.offer(alice.id, reborn.keys.publicKey)).toBe('candidate');
    reborn.keys.offer(bob.id, bob.keys.publicKey);
    expect(bob.sealer.open(reborn.sealer.seal(new Uint8Array([2]), bob.id), alice.id).ok).toBe(true);
    expect(bob.keys.publicKeyOf(alice.id)).toEqual(reborn.keys.publicKey);
    // The old key is now the one refused.
    expect(bob.keys.offer(alice.id, alice.keys.publicKey)).toBe('refused');
  });

  it('refuses keys that agree on nothing: wrong length, not a point, low order, its own', () => {
    const keys = new PeerKeys(new Uint8Array(32).fill(4), () => 0);
    const peer = 'p' as NodeId;
    expect(keys.offer(peer, new Uint8Array(31))).toBe('invalid');
    expect(keys.offer(peer, new Uint8Array(32).fill(255))).toBe('invalid');
    expect(keys.offer(peer, keys.publicKey)).toBe('invalid');
    // The identity point (a small-order key): noble refuses to agree with it.
    const identityPoint = new Uint8Array(32);
    identityPoint[0] = 1;
    const offer = keys.offer(peer, identityPoint);
    if (offer === 'candidate') {
      const sealer = new MessageSealer({
        networkId: NETWORK,
        self: 'me' as NodeId,
        epoch: 1,
        keyring: new Keyring(NETWORK, [new Uint8Array(SECRET_BYTES)]),
        identity: keys,
      });
      // Sealing to it falls back to the network key: no pair key exists.
      expect(() => sealer.seal(new Uint8Array([1]), peer)).not.toThrow();
    }
    expect(keys.publicKeyOf(peer)).toBeUndefined();
  });

  it('never throws on random bytes from a sender with candidate keys', () => {
    const clock = { now: 0 };
    const bob = node('bob', new Uint8Array(SECRET_BYTES), new Uint8Array(32).fill(5), clock);
    bob.keys.offer('alice' as NodeId, new PeerKeys(new Uint8Array(32).fill(6), () => 0).publicKey);
    const prefix = bob.sealer.seal(new Uint8Array(), 'alice' as NodeId).subarray(0, 14);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        const bytes = new Uint8Array(prefix.length + tail.length);
        bytes.set(prefix);
        bytes.set(tail, prefix.length);
        expect(bob.sealer.open(bytes, 'alice' as NodeId).ok).toBe(false);
      }),
    );
  });

  it('keeps a proven key however many invented ids offer keys', () => {
    const clock = { now: 0 };
    const secret = new Uint8Array(SECRET_BYTES).fill(8);
    const alice = node('alice', secret, new Uint8Array(32).fill(11), clock);
    const bob = node('bob', secret, new Uint8Array(32).fill(12), clock);
    introduce(alice, bob);
    expect(bob.sealer.open(alice.sealer.seal(new Uint8Array([1]), bob.id), alice.id).ok).toBe(true);
    const junk = new PeerKeys(new Uint8Array(32).fill(13), () => 0).publicKey;
    for (let i = 0; i < 5000; i++) bob.keys.offer(`invented-${i}` as NodeId, junk);
    expect(bob.keys.publicKeyOf(alice.id)).toEqual(alice.keys.publicKey);
    expect(bob.sealer.open(alice.sealer.seal(new Uint8Array([2]), bob.id), alice.id).ok).toBe(true);
  });
});
