import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../codec/encode-value.js';
import { mapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import type { MessagePeers } from './node-id-codec.js';
import { decodeDelta, decodeDigest, encodeDelta, encodeDigest, type OutgoingObject } from './sync-codec.js';
import type {
  DigestMessage,
  DigestSummary,
  MapClock,
  ObjectDelta,
  ObjectDigest,
  SummaryAnswer,
} from './sync-messages.js';

const peers: MessagePeers = {
  sender: 'alice' as NodeId,
  receiver: '0123456789abcdef0123456789abcdef' as NodeId,
};
const writerArb = fc.constantFrom(
  peers.sender,
  peers.receiver,
  'carol' as NodeId,
  'fedcba9876543210fedcba9876543210' as NodeId,
);
// Few distinct walls as well, so consecutive entries often share one (counters then delta-coded).
const wallArb = fc.oneof(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 2 }));
const stampArb = fc.record({ wall: wallArb, counter: fc.integer({ min: 0, max: 65535 }) });
const mapClockArb: fc.Arbitrary<MapClock> = fc.oneof(
  stampArb,
  fc.record({
    wall: wallArb,
    counter: fc.integer({ min: 0, max: 65535 }),
    beyond: fc.record({
      max: stampArb,
      count: fc.nat(),
      sum1: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      sum2: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    }),
  }),
);
const nameArb = fc.string({ maxLength: 8 });

/** A stream clock as the decoder yields it: seq 0 carries the empty chain. */
const streamClockArb = fc
  .tuple(fc.nat(), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }))
  .map(([seq, high, low]) => ({ seq, chain: seq === 0 ? ([0, 0] as const) : ([high, low] as const) }));

function objectDigestArb(relative: boolean): fc.Arbitrary<ObjectDigest> {
  const range = relative
    ? fc.constant(['', null] as const)
    : fc.tuple(nameArb, fc.option(nameArb, { nil: null }));
  const kindAndClocks = fc.oneof(
    fc.record({
      kind: fc.constant('map' as const),
      clocks: fc.uniqueArray(fc.tuple(writerArb, mapClockArb), { selector: ([id]) => id, maxLength: 4 }),
    }),
    fc.record({
      kind: fc.constant('stream' as const),
      clocks: fc.uniqueArray(fc.tuple(writerArb, streamClockArb), { selector: ([id]) => id, maxLength: 4 }),
    }),
  );
  return fc
    .tuple(kindAndClocks, nameArb, range)
    .map(([{ kind, clocks }, name, [from, to]]) => ({ kind, name, from, to, clocks }));
}

const attachedArb: fc.Arbitrary<ObjectDelta[]> = fc.array(
  fc.oneof(
    fc
      .record({
        kind: fc.constant('map' as const),
        name: nameArb,
        claims: fc.array(fc.record({ writer: writerArb, from: stampArb, to: stampArb }), { maxLength: 3 }),
        entries: fc.array(
          fc
            .record({
              key: fc.string({ maxLength: 6 }),
              writer: writerArb,
              wall: wallArb,
              counter: fc.integer({ min: 0, max: 65535 }),
              value: fc.option(fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), { nil: undefined }),
            })
            // As the decoder makes them.
            .map((e) => mapEntry(e.key, e.value, e.wall, e.counter, e.writer)),
          { maxLength: 4 },
        ),
      })
      // A decoded delta says where each value's wire bytes are: compared through `asSent`.
      .map((object) => ({ ...object, source: new Uint8Array(), valueRanges: [] })),
    fc.record({
      kind: fc.constant('stream' as const),
      name: nameArb,
      entries: fc
        .array(
          fc.record({
            author: writerArb,
            seq: fc.integer({ min: 1, max: 2 ** 40 }),
            wall: wallArb,
            counter: fc.integer({ min: 0, max: 65535 }),
            payload: fc.uint8Array({ maxLength: 8 }),
            // The author's proof travels on some entries (ADR 0054); the codec carries any bytes.
            proof: fc.option(
              fc.record({
                signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
                publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
              }),
              { nil: undefined },
            ),
          }),
          { maxLength: 4 },
        )
        // As the decoder makes them: no proof field where none was sent.
        .map((entries) =>
          entries.map(({ proof, ...entry }) => (proof === undefined ? entry : { ...entry, proof })),
        ),
    }),
  ),
  { maxLength: 3 },
);

const clocksArb = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    clocks: fc.uniqueArray(fc.tuple(writerArb, mapClockArb), { selector: ([id]) => id, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('stream' as const),
    clocks: fc.uniqueArray(fc.tuple(writerArb, streamClockArb), { selector: ([id]) => id, maxLength: 4 }),
  }),
);
const hashArb = fc.uint8Array({ minLength: 8, maxLength: 8 });

const summaryArb: fc.Arbitrary<DigestSummary> = fc.record({
  hash: hashArb,
  objects: fc.array(
    fc
      .tuple(fc.constantFrom('map' as const, 'stream' as const), nameArb, fc.integer({ min: 0, max: 4 }))
      .chain(([kind, name, bits]) =>
        fc
          .uint8Array({ minLength: 4 << bits, maxLength: 4 << bits })
          .map((fingerprints) => ({ kind, name, bits, fingerprints })),
      ),
    { maxLength: 3 },
  ),
});

const answerArb: fc.Arbitrary<SummaryAnswer> = fc.record({
  base: hashArb,
  hash: hashArb,
  objects: fc.array(
    fc.oneof(
      fc.record({
        kind: fc.constantFrom('map' as const, 'stream' as const),
        name: nameArb,
        held: fc.constant(false as const),
      }),
      fc.tuple(clocksArb, nameArb, fc.integer({ min: 0, max: 4 })).chain(([{ kind, clocks }, name, bits]) =>
        fc.uniqueArray(fc.nat((1 << bits) - 1), { maxLength: 1 << bits }).map((buckets) => ({
          kind,
          name,
          held: true as const,
          bits,
          buckets: buckets.sort((x, y) => x - y),
          clocks,
        })),
      ),
    ),
    { maxLength: 3 },
  ),
});

type Form = 'full' | 'relative' | 'summary' | 'answer';

const digestArb: fc.Arbitrary<DigestMessage> = fc
  .constantFrom<Form>('full', 'relative', 'summary', 'answer')
  .chain((form) => {
    const whole = form === 'full';
    return fc.record({
      type: fc.constant('digest' as const),
      channel: nameArb,
      reply: fc.boolean(),
      fresh: fc.boolean(),
      scopeFrom: whole ? nameArb : fc.constant(''),
      scopeTo: whole ? fc.option(nameArb, { nil: null }) : fc.constant(null),
      objects:
        whole || form === 'relative' ? fc.array(objectDigestArb(!whole), { maxLength: 3 }) : fc.constant([]),
      ...(form === 'relative' ? { base: hashArb } : {}),
      ...(form === 'summary' ? { summary: summaryArb } : {}),
      ...(form === 'answer' ? { answer: answerArb } : {}),
    });
  });

/**
 * A map delta as the test compares it: each value's wire bytes beside the entries, read from
 * the offsets of a decoded delta, or encoded from the values of an expected one (`sent`).
 */
function comparable(objects: readonly ObjectDelta[], sent: boolean): unknown[] {
  return objects.map((object) => {
    if (object.kind === 'stream') return object;
    const { kind, name, claims, entries, source, valueRanges } = object;
    const values = entries.map((entry, i) => {
      if (sent) return entry.value === undefined ? undefined : encodeValue(entry.value);
      const start = valueRanges[2 * i] as number;
      return start < 0 ? undefined : source.subarray(start, valueRanges[2 * i + 1]);
    });
    return { kind, name, claims, entries, values };
  });
}

function outgoing(objects: readonly ObjectDelta[]): OutgoingObject[] {
  return objects.map((object) =>
    object.kind === 'stream'
      ? object
      : {
          kind: object.kind,
          name: object.name,
          claims: object.claims,
          entries: object.entries.map((entry) => ({
            entry,
            valueBytes: entry.value === undefined ? undefined : encodeValue(entry.value),
          })),
        },
  );
}

/** An empty whole-channel digest, for hand-made summaries and answers. */
const base: DigestMessage = {
  type: 'digest',
  channel: 'c',
  reply: false,
  fresh: false,
  scopeFrom: '',
  scopeTo: null,
  objects: [],
};

describe('sync codec', () => {
  it('round-trips digests, full, relative, summaries and answers, with entries attached or not', () => {
    fc.assert(
      fc.property(digestArb, attachedArb, (digest, attached) => {
        const decoded = decodeDigest(encodeDigest(digest, peers, outgoing(attached)), peers);
        if (!decoded.ok) throw new Error(decoded.error);
        const { attached: got, ...rest } = decoded.value;
        expect(rest).toEqual(digest);
        expect(got === undefined ? [] : comparable(got, false)).toEqual(comparable(attached, true));
      }),
    );
  });

  it("writes an attached claim that ends at its writer's digest clock against that clock, in fewer bytes", () => {
    const wall = fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 });
    const writers = fc.uniqueArray(writerArb, { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(
        writers,
        wall,
        // Below the counter's limit: the control case ends one counter later.
        fc.nat(65534),
        fc.nat(100_000),
        fc.nat(65535),
        (ids, at, counter, back, from) => {
          const clocks = ids.map((id, i) => [id, { wall: at + i, counter }] as [NodeId, MapClock]);
          const digest: DigestMessage = {
            ...base,
            base: new Uint8Array(8),
            objects: [{ kind: 'map', name: 'm', from: '', to: null, clocks }],
          };
          const claimsEnding = (shift: number): ObjectDelta[] => [
            {
              kind: 'map',
              name: 'm',
              claims: clocks.map(([writer, to]) => ({
                writer,
                from: { wall: to.wall - back, counter: from },
                to: { wall: to.wall, counter: to.counter + shift },
              })),
              entries: [],
              source: new Uint8Array(0),
              valueRanges: [],
            },
          ];
          const atClock = encodeDigest(digest, peers, outgoing(claimsEnding(0)));
          const elsewhere = encodeDigest(digest, peers, outgoing(claimsEnding(1)));
          for (const [bytes, shift] of [
            [atClock, 0],
            [elsewhere, 1],
          ] as const) {
            const decoded = decodeDigest(bytes, peers);
            if (!decoded.ok) throw new Error(decoded.error);
            expect(decoded.value.attached?.[0]?.kind === 'map' && decoded.value.attached[0].claims).toEqual(
              (claimsEnding(shift)[0] as { claims: unknown }).claims,
            );
          }
          // Each claim's 6-7 byte wall and its end's counter are not written.
          expect(elsewhere.length - atClock.length).toBeGreaterThanOrEqual(6 * ids.length);
        },
      ),
    );
  });

  it('round-trips deltas, and the two peers cost one byte each wherever they appear', () => {
    fc.assert(
      fc.property(attachedArb, fc.boolean(), fc.boolean(), (objects, push, final) => {
        const delta = {
          channel: 'c',
          push,
          final,
          fresh: false,
          unknownBase: false,
          objects: outgoing(objects),
        };
        const bytes = encodeDelta(delta, peers);
        const decoded = decodeDelta(bytes, peers);
        if (!decoded.ok) throw new Error(decoded.error);
        const { objects: got, ...rest } = decoded.value;
        expect(rest).toEqual({ type: 'delta', channel: 'c', push, final, fresh: false, unknownBase: false });
        expect(comparable(got, false)).toEqual(comparable(objects, true));
        const full = encodeDelta(delta);
        expect(decodeDelta(full).ok).toBe(true);
        const ids = new Set(
          objects.flatMap((o) =>
            o.kind === 'map'
              ? [...o.claims, ...o.entries].map((x) => x.writer)
              : o.entries.map((x) => x.author),
          ),
        );
        // Full forms: 'alice' is 6 bytes, a generated id 17; marked, each is 1.
        const saved = (ids.has(peers.sender) ? 5 : 0) + (ids.has(peers.receiver) ? 16 : 0);
        expect(full.length - bytes.length).toBe(saved);
        // An empty delta (the usual final answer) is its flags and channel, no counts.
        if (objects.length === 0) expect(bytes.length).toBe(1 + 1 + 1);
      }),
    );
  });

  it('refuses a digest of two forms, summary buckets beyond 12 bits and answer buckets out of order', () => {
    const flagsOf = (digest: DigestMessage) => encodeDigest(digest, peers);
    const summary = flagsOf({ ...base, summary: { hash: new Uint8Array(8), objects: [] } });
    // Summary (16) and relative (4) at once, with the 8 bytes a base would take.
    const both = Uint8Array.of((summary[0] as number) | 4, ...summary.subarray(1), ...new Uint8Array(8));
    expect(decodeDigest(both, peers).ok).toBe(false);
    const wide = flagsOf({
      ...base,
      summary: {
        hash: new Uint8Array(8),
        objects: [{ kind: 'map', name: 'm', bits: 0, fingerprints: new Uint8Array(4) }],
      },
    });
    // The bits byte sits before the 4 fingerprint bytes at the end.
    const bitsAt = wide.length - 5;
    expect(decodeDigest(wide, peers).ok).toBe(true);
    expect(
      decodeDigest(
        Uint8Array.from(wide, (byte, i) => (i === bitsAt ? 13 : byte)),
        peers,
      ).ok,
    ).toBe(false);
    const answer = (buckets: number[]) =>
      decodeDigest(
        flagsOf({
          ...base,
          answer: {
            base: new Uint8Array(8),
            hash: new Uint8Array(8),
            objects: [{ kind: 'map', name: 'm', held: true, bits: 2, buckets, clocks: [] }],
          },
        }),
        peers,
      ).ok;
    expect(answer([0, 3])).toBe(true);
    expect(answer([3, 0])).toBe(false);
    expect(answer([1, 1])).toBe(false);
    expect(answer([4])).toBe(false);
  });

  it('never throws on arbitrary bytes or truncations, and never reads a peer mark without peers', () => {
    fc.assert(
      fc.property(digestArb, attachedArb, fc.uint8Array({ maxLength: 64 }), (digest, attached, noise) => {
        const bytes = encodeDigest(digest, peers, outgoing(attached));
        for (let length = 0; length < bytes.length; length++) {
          expect(decodeDigest(bytes.subarray(0, length), peers).ok).toBe(false);
        }
        expect(() => decodeDigest(noise, peers)).not.toThrow();
        expect(() => decodeDelta(noise, peers)).not.toThrow();
        const clocks = [
          ...digest.objects.flatMap((o) => o.clocks),
          ...(digest.answer?.objects ?? []).flatMap((o) => (o.held ? o.clocks : [])),
        ];
        const marked = clocks.some(([id]) => id === peers.sender || id === peers.receiver);
        if (marked) expect(decodeDigest(bytes).ok).toBe(false);
      }),
    );
  });
});
