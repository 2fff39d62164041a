import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { Keyring } from './keyring.js';
import { MessageSealer } from './message-sealer.js';
import { SECRET_BYTES } from './network-secret.js';

const NETWORK = 'home';
const nodeIds = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/).map((id) => id as NodeId);
const bodies = fc.uint8Array({ maxLength: 1300 });
const secrets = fc.uint8Array({ minLength: SECRET_BYTES, maxLength: SECRET_BYTES });
const modes = fc.constantFrom('sealed', 'open');

function pair(mode: string, secret: Uint8Array, sender: NodeId) {
  const keyring = () => (mode === 'open' ? ('open' as const) : new Keyring(NETWORK, [secret]));
  return {
    alice: new MessageSealer({ networkId: NETWORK, self: sender, epoch: 3, keyring: keyring() }),
    bob: () => new MessageSealer({ networkId: NETWORK, self: 'bob' as NodeId, epoch: 0, keyring: keyring() }),
  };
}

describe('MessageSealer properties', () => {
  it('opens what it seals, for any body and sender, in both modes', () => {
    fc.assert(
      fc.property(
        modes,
        secrets,
        nodeIds,
        fc.array(bodies, { minLength: 1, maxLength: 4 }),
        (mode, secret, id, list) => {
          const { alice, bob } = pair(mode, secret, id);
          const receiver = bob();
          list.forEach((body, counter) => {
            const envelope = alice.seal(body);
            expect(envelope.length).toBeLessThanOrEqual(body.length + alice.overhead);
            expect(receiver.open(envelope, id)).toEqual({
              ok: true,
              sender: id,
              body,
              epoch: 3,
              counter,
              paired: false,
            });
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('hides the body when sealed', () => {
    fc.assert(
      fc.property(secrets, fc.uint8Array({ minLength: 16, maxLength: 64 }), (secret, body) => {
        const envelope = pair('sealed', secret, 'alice' as NodeId).alice.seal(body);
        const text = Buffer.from(envelope).toString('hex');
        expect(text.includes(Buffer.from(body).toString('hex'))).toBe(false);
      }),
    );
  });

  it('never throws and never accepts random bytes', () => {
    const { bob } = pair('sealed', new Uint8Array(SECRET_BYTES), 'alice' as NodeId);
    const receiver = bob();
    const tag = pair('open', new Uint8Array(0), 'a' as NodeId)
      .alice.seal(new Uint8Array())
      .subarray(2, 10);
    // Random tails behind a plausible prefix reach the deeper header fields, not just the version check.
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((rest) => Uint8Array.of(2, 1, ...tag, ...rest)),
      fc.uint8Array({ maxLength: 200 }).map((rest) => Uint8Array.of(2, 0, ...tag, ...rest)),
    );
    fc.assert(
      fc.property(inputs, (bytes) => {
        expect(receiver.open(bytes, 'alice' as NodeId).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every truncation and any bit flip, and the window does not move', () => {
    fc.assert(
      fc.property(secrets, nodeIds, bodies, fc.nat(), (secret, id, body, seed) => {
        const { alice, bob } = pair('sealed', secret, id);
        const receiver = bob();
        const envelope = alice.seal(body);
        for (let length = 0; length < envelope.length; length++) {
          expect(receiver.open(envelope.subarray(0, length), id).ok).toBe(false);
        }
        const bit = seed % (envelope.length * 8);
        const flipped = envelope.slice();
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(receiver.open(flipped, id).ok).toBe(false);
        expect(receiver.open(envelope, id).ok).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects every single bit flip of one envelope', () => {
    const { alice, bob } = pair('sealed', new Uint8Array(SECRET_BYTES).fill(9), 'alice' as NodeId);
    const receiver = bob();
    const envelope = alice.seal(new TextEncoder().encode('lights on in the kitchen'));
    for (let bit = 0; bit < envelope.length * 8; bit++) {
      const flipped = envelope.slice();
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(receiver.open(flipped, 'alice' as NodeId).ok).toBe(false);
    }
    expect(receiver.stats().dropped['auth-failed']).toBeGreaterThan(0);
    expect(receiver.open(envelope, 'alice' as NodeId).ok).toBe(true);
  });

  it('accepts reordered and duplicated deliveries within the window exactly once', () => {
    fc.assert(
      fc.property(
        modes,
        fc.array(fc.nat({ max: 63 }), { minLength: 1, maxLength: 150, size: 'max' }),
        (mode, picks) => {
          const { alice, bob } = pair(mode, new Uint8Array(SECRET_BYTES).fill(1), 'alice' as NodeId);
          const receiver = bob();
          const sent = Array.from({ length: 64 }, (_, i) => alice.seal(Uint8Array.of(i)));
          const accepted = new Set<number>();
          for (const pick of picks) {
            const result = receiver.open(sent[pick] as Uint8Array, 'alice' as NodeId);
            if (accepted.has(pick)) expect(result).toEqual({ ok: false, reason: 'replay' });
            else expect(result.ok).toBe(true);
            accepted.add(pick);
          }
        },
      ),
    );
  });

  it('refuses envelopes sealed with a key it does not hold', () => {
    fc.assert(
      fc.property(secrets, secrets, bodies, (k1, k2, body) => {
        fc.pre(k1.some((byte, i) => byte !== k2[i]));
        const envelope = pair('sealed', k1, 'alice' as NodeId).alice.seal(body);
        const other = pair('sealed', k2, 'alice' as NodeId).bob();
        expect(other.open(envelope, 'alice' as NodeId)).toEqual({ ok: false, reason: 'unknown-key' });
        // Relabelled with the receiver's key id, it reaches the AEAD and fails there.
        const relabelled = envelope.slice();
        // The key id follows the version and mode bytes.
        new DataView(relabelled.buffer).setUint32(2, new Keyring(NETWORK, [k2]).primaryKeyId);
        expect(other.open(relabelled, 'alice' as NodeId)).toEqual({ ok: false, reason: 'auth-failed' });
      }),
      { numRuns: 50 },
    );
  });
});
