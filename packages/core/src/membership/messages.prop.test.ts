import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { MAX_INCARNATION, type MemberInfo, type MemberUpdate } from './member-state.js';
import { decodeMessage, encodeMessage, type MembershipMessage } from './messages.js';
import { decodePiggyback, encodePiggyback, encodeUpdate } from './updates.js';

const idArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/) as fc.Arbitrary<NodeId>;
const counterArb = fc.nat({ max: Number.MAX_SAFE_INTEGER });
/** Incarnations are bounded on the wire (a larger one is refused, see the test below). */
const incarnationArb = fc.nat({ max: MAX_INCARNATION });
const addressArb = fc.option(fc.uint8Array({ minLength: 1, maxLength: 32 }), { nil: undefined });

const memberArb: fc.Arbitrary<MemberInfo> = fc
  .record({
    id: idArb,
    state: fc.constantFrom('alive', 'suspect', 'dead', 'left' as const),
    incarnation: incarnationArb,
    address: addressArb,
  })
  .map(({ address, ...rest }) => (address === undefined ? rest : { ...rest, address }));

const messageArb: fc.Arbitrary<MembershipMessage> = fc.oneof(
  fc
    .record({ seq: counterArb, target: idArb, suspected: fc.option(incarnationArb, { nil: undefined }) })
    .map(({ seq, target, suspected }) =>
      suspected === undefined
        ? { type: 'ping' as const, seq, target }
        : { type: 'ping' as const, seq, target, suspectedIncarnation: suspected },
    ),
  fc.record({
    type: fc.constant('ping-req' as const),
    seq: counterArb,
    target: idArb,
    wantNack: fc.boolean(),
  }),
  fc.record({ type: fc.constant('ack' as const), seq: counterArb }),
  fc.record({ type: fc.constant('nack' as const), seq: counterArb }),
  fc.record({
    type: fc.constant('push-pull' as const),
    reply: fc.boolean(),
    members: fc.array(memberArb, { maxLength: 5 }),
  }),
  fc.constant({ type: 'gossip' as const }),
);

const updateArb: fc.Arbitrary<MemberUpdate> = fc.oneof(
  fc
    .record({ node: idArb, incarnation: incarnationArb, address: addressArb })
    .map(({ address, ...rest }) =>
      address === undefined
        ? { kind: 'alive' as const, ...rest }
        : { kind: 'alive' as const, ...rest, address },
    ),
  fc.record({ kind: fc.constant('suspect' as const), node: idArb, incarnation: incarnationArb, from: idArb }),
  fc.record({ kind: fc.constant('dead' as const), node: idArb, incarnation: incarnationArb, from: idArb }),
  fc.record({ kind: fc.constant('left' as const), node: idArb, incarnation: incarnationArb }),
);

describe('membership message codec', () => {
  it('round-trips every message', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        expect(decodeMessage(encodeMessage(message))).toEqual({ ok: true, value: message });
      }),
    );
  });

  it('round-trips every piggyback', () => {
    fc.assert(
      fc.property(fc.array(updateArb, { maxLength: 8 }), (updates) => {
        expect(decodePiggyback(encodePiggyback(updates.map(encodeUpdate)))).toEqual({
          ok: true,
          value: updates,
        });
      }),
    );
  });

  it('refuses every strict prefix of a message without throwing', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const bytes = encodeMessage(message);
        for (let end = 0; end < bytes.length; end++)
          expect(decodeMessage(bytes.subarray(0, end)).ok).toBe(false);
      }),
    );
  });

  it('refuses every strict prefix of a piggyback without throwing', () => {
    fc.assert(
      fc.property(fc.array(updateArb, { minLength: 1, maxLength: 4 }), (updates) => {
        const bytes = encodePiggyback(updates.map(encodeUpdate));
        for (let end = 0; end < bytes.length; end++)
          expect(decodePiggyback(bytes.subarray(0, end)).ok).toBe(false);
      }),
    );
  });

  it('never throws on random bytes, with or without a valid version and type', () => {
    fc.assert(
      fc.property(fc.nat({ max: 7 }), fc.uint8Array({ maxLength: 200 }), (type, tail) => {
        for (const bytes of [tail, Uint8Array.of(1, type, ...tail), Uint8Array.of(1, ...tail)]) {
          expect(() => decodeMessage(bytes)).not.toThrow();
          expect(() => decodePiggyback(bytes)).not.toThrow();
        }
      }),
    );
  });

  it('refuses unknown versions, unknown types, malformed ids and trailing bytes', () => {
    const ping = encodeMessage({ type: 'ping', seq: 1, target: 'a' as NodeId });
    expect(decodeMessage(Uint8Array.of(2, ...ping.subarray(1))).ok).toBe(false);
    expect(decodeMessage(Uint8Array.of(1, 99, 0)).ok).toBe(false);
    expect(decodeMessage(Uint8Array.of(...ping, 0)).ok).toBe(false);
    // target "a b": a space is not a NodeId character.
    expect(decodeMessage(Uint8Array.of(1, 1, 1, 3, 0x61, 0x20, 0x62, 0)).ok).toBe(false);
    expect(decodePiggyback(Uint8Array.of(1, 1, 9, 1, 0x61, 0)).ok).toBe(false);
  });

  it('refuses a push-pull count larger than the bytes that follow before allocating', () => {
    const bytes = Uint8Array.of(1, 5, 0, 0xff, 0xff, 0x03);
    expect(decodeMessage(bytes)).toMatchObject({ ok: false });
  });
});

describe('incarnation bounds', () => {
  it('refuses any incarnation above MAX_INCARNATION in messages and updates', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_INCARNATION + 1, max: Number.MAX_SAFE_INTEGER }), (incarnation) => {
        const self = 'a' as NodeId;
        expect(
          decodeMessage(
            encodeMessage({ type: 'ping', seq: 1, target: self, suspectedIncarnation: incarnation }),
          ).ok,
        ).toBe(false);
        expect(
          decodePiggyback(encodePiggyback([encodeUpdate({ kind: 'left', node: self, incarnation })])).ok,
        ).toBe(false);
      }),
    );
  });
});
