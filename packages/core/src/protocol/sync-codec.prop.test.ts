import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_COUNTER, MAX_WALL, type Timestamp } from '../clock/timestamp.js';
import { encodeValue } from '../codec/encode-value.js';
import { type MapEntry, mapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { MAX_CUT_DEPTH } from '../sync/verified-sets.js';
import type { MessagePeers } from './node-id-codec.js';
import { decodeDelta, decodeDigest, encodeDelta, encodeDigest, type OutgoingObject } from './sync-codec.js';
import type {
  DigestMessage,
  DigestSummary,
  MapClock,
  MapDelta,
  MapGhost,
  MapProof,
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
    // A catch-up under way: the cut's version and which of its parts are proven.
    parts: fc.record({ version: stampArb, done: fc.uint8Array({ maxLength: 8 }) }),
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

const entryArb = fc
  .record({
    key: fc.string({ maxLength: 6 }),
    writer: writerArb,
    wall: wallArb,
    counter: fc.integer({ min: 0, max: 65535 }),
    value: fc.option(fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), { nil: undefined }),
  })
  // As the decoder makes them.
  .map((e) => mapEntry(e.key, e.value, e.wall, e.counter, e.writer));

const ghostArb: fc.Arbitrary<MapGhost> = fc.record({
  key: fc.string({ maxLength: 6 }),
  writer: writerArb,
  wall: wallArb,
  counter: fc.integer({ min: 0, max: 65535 }),
  digest: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  by: fc.option(
    fc.record({ wall: wallArb, counter: fc.integer({ min: 0, max: 65535 }), writer: writerArb }),
    {
      nil: undefined,
    },
  ),
});

const signedArb = fc.record({
  version: stampArb,
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});
const sliceAtArb = fc
  .integer({ min: 0, max: 3 })
  .chain((depth) =>
    fc.record({ depth: fc.constant(depth), index: fc.integer({ min: 0, max: 16 ** depth - 1 }) }),
  );

/** One proof of each kind, with the entries and ghosts a whole or slice proof covers. */
const proofGroupArb: fc.Arbitrary<{ proof: MapProof; entries: MapEntry[]; ghosts: MapGhost[] }> = fc.oneof(
  fc
    .record({
      writer: writerArb,
      from: stampArb,
      step: fc.integer({ min: 0, max: 1000 }),
      counter: fc.integer({ min: 0, max: 65535 }),
      signed: signedArb,
      entries: fc.array(entryArb, { maxLength: 3 }),
      ghosts: fc.array(ghostArb, { maxLength: 2 }),
    })
    // The signed version is written as a step from `from`: it must stay within 48 bits.
    .filter(({ from, step }) => from.wall + step <= 2 ** 48 - 1)
    .map(({ writer, from, step, counter, signed, entries, ghosts }) => ({
      proof: {
        kind: 'whole' as const,
        writer,
        from,
        signed: { ...signed, version: { wall: from.wall + step, counter } },
        entries: entries.length,
        ghosts: ghosts.length,
      },
      entries,
      ghosts,
    })),
  fc
    .record({
      writer: writerArb,
      signed: signedArb,
      nodes: fc.array(fc.record({ at: sliceAtArb, hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }), {
        maxLength: 3,
      }),
    })
    .map(({ writer, signed, nodes }) => ({
      proof: { kind: 'cut' as const, writer, signed, nodes },
      entries: [],
      ghosts: [],
    })),
  fc
    .record({
      writer: writerArb,
      version: stampArb,
      at: sliceAtArb,
      entries: fc.array(entryArb, { maxLength: 3 }),
      ghosts: fc.array(ghostArb, { maxLength: 2 }),
    })
    .map(({ writer, version, at, entries, ghosts }) => ({
      proof: { kind: 'slice' as const, writer, version, at, entries: entries.length, ghosts: ghosts.length },
      entries,
      ghosts,
    })),
);

const mapDeltaArb = fc
  .record({
    name: nameArb,
    groups: fc.array(proofGroupArb, { maxLength: 3 }),
    // Entries no proof covers, after the last proof's.
    loose: fc.array(entryArb, { maxLength: 2 }),
  })
  .map(({ name, groups, loose }) => ({
    kind: 'map' as const,
    name,
    proofs: groups.map((group) => group.proof),
    entries: [...groups.flatMap((group) => group.entries), ...loose],
    ghosts: groups.flatMap((group) => group.ghosts),
    // A decoded delta says where each value's wire bytes are: compared through `comparable`.
    source: new Uint8Array(),
    valueRanges: [],
  }));

const attachedArb: fc.Arbitrary<ObjectDelta[]> = fc.array(
  fc.oneof(
    mapDeltaArb,
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
    const { kind, name, proofs, entries, ghosts, source, valueRanges } = object;
    const values = entries.map((entry, i) => {
      if (sent) return entry.value === undefined ? undefined : encodeValue(entry.value);
      const start = valueRanges[2 * i] as number;
      return start < 0 ? undefined : source.subarray(start, valueRanges[2 * i + 1]);
    });
    return { kind, name, proofs, entries, ghosts, values };
  });
}

function outgoing(objects: readonly ObjectDelta[]): OutgoingObject[] {
  return objects.map((object) =>
    object.kind === 'stream'
      ? object
      : {
          kind: object.kind,
          name: object.name,
          proofs: object.proofs,
          ghosts: object.ghosts,
          entries: object.entries.map((entry) => ({
            entry,
            valueBytes: entry.value === undefined ? undefined : encodeValue(entry.value),
          })),
        },
  );
}

/**
 * What the rest of the node takes for granted of a decoded map delta, whatever bytes it came
 * from: each proof's entries and ghosts are in the lists, places are in a cut's tree, sizes are
 * a signature's, a key's and a digest's, and every version is within the clock's range.
 */
function expectWellFormed(delta: MapDelta): void {
  const inRange = (stamp: Timestamp) => {
    expect(stamp.wall).toBeLessThanOrEqual(MAX_WALL);
    expect(stamp.counter).toBeLessThanOrEqual(MAX_COUNTER);
  };
  const placed = ({ depth, index }: { depth: number; index: number }) => {
    expect(depth).toBeLessThanOrEqual(MAX_CUT_DEPTH);
    expect(index).toBeLessThan(16 ** depth);
  };
  let entries = 0;
  let ghosts = 0;
  for (const proof of delta.proofs) {
    if (proof.kind !== 'slice') {
      inRange(proof.signed.version);
      expect([proof.signed.signature.length, proof.signed.publicKey.length]).toEqual([64, 32]);
    }
    if (proof.kind === 'cut') {
      for (const node of proof.nodes) {
        placed(node.at);
        expect(node.hash.length).toBe(32);
      }
      continue;
    }
    if (proof.kind === 'whole') inRange(proof.from);
    else {
      placed(proof.at);
      inRange(proof.version);
    }
    entries += proof.entries;
    ghosts += proof.ghosts;
  }
  expect(entries).toBeLessThanOrEqual(delta.entries.length);
  expect(ghosts).toBeLessThanOrEqual(delta.ghosts.length);
  expect(delta.valueRanges.length).toBe(2 * delta.entries.length);
  for (const entry of delta.entries) inRange(entry);
  for (const ghost of delta.ghosts) {
    inRange(ghost);
    expect(ghost.digest.length).toBe(16);
    if (ghost.by !== undefined) inRange(ghost.by);
  }
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
              ? [
                  ...o.proofs.map((x) => x.writer),
                  ...o.entries.map((x) => x.writer),
                  ...o.ghosts.flatMap((x) => (x.by === undefined ? [x.writer] : [x.writer, x.by.writer])),
                ]
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

  it('refuses a delta whose proofs cover more entries or ghosts than follow, and only that', () => {
    fc.assert(
      fc.property(
        mapDeltaArb,
        fc.constantFrom('entries' as const, 'ghosts' as const),
        fc.integer({ min: 1, max: 100 }),
        fc.nat(),
        (object, what, over, pick) => {
          const covering = object.proofs.flatMap((proof, i) => (proof.kind === 'cut' ? [] : [i]));
          fc.pre(covering.length > 0);
          const chosen = covering[pick % covering.length] as number;
          // Entries no proof covers may follow the last proof's: the proofs together must reach
          // `over` past the list's end, not merely past what they covered.
          const covered = object.proofs.reduce(
            (sum, proof) => sum + (proof.kind === 'cut' ? 0 : proof[what]),
            0,
          );
          const bump = object[what].length - covered + over;
          const proofs = object.proofs.map((proof, i) =>
            i === chosen && proof.kind !== 'cut' ? { ...proof, [what]: proof[what] + bump } : proof,
          );
          const encode = (map: ObjectDelta) =>
            encodeDelta(
              { channel: 'c', push: false, final: true, fresh: false, objects: outgoing([map]) },
              peers,
            );
          // The same delta covering what follows decodes: the refusal is for the count alone.
          expect(decodeDelta(encode(object), peers).ok).toBe(true);
          expect(decodeDelta(encode({ ...object, proofs }), peers).ok).toBe(false);
        },
      ),
    );
  });

  it('refuses a cut node or a slice deeper than a cut goes, or beyond its level', () => {
    const signed = {
      version: { wall: 9, counter: 0 },
      signature: new Uint8Array(64),
      publicKey: new Uint8Array(32),
    };
    const decodes = (proof: MapProof) =>
      decodeDelta(
        encodeDelta(
          {
            channel: 'c',
            push: false,
            final: true,
            fresh: false,
            objects: [{ kind: 'map', name: 'm', proofs: [proof], entries: [], ghosts: [] }],
          },
          peers,
        ),
        peers,
      ).ok;
    const slice = (depth: number, index: number): MapProof => ({
      kind: 'slice',
      writer: 'carol' as NodeId,
      version: signed.version,
      at: { depth, index },
      entries: 0,
      ghosts: 0,
    });
    const cut = (depth: number, index: number): MapProof => ({
      kind: 'cut',
      writer: 'carol' as NodeId,
      signed,
      nodes: [
        { at: { depth: 1, index: 0 }, hash: new Uint8Array(32) },
        { at: { depth, index }, hash: new Uint8Array(32) },
      ],
    });
    for (const proof of [slice, cut]) {
      // The last node of each level is the last one accepted; level 3 is the deepest.
      expect(decodes(proof(0, 0))).toBe(true);
      expect(decodes(proof(MAX_CUT_DEPTH, 16 ** MAX_CUT_DEPTH - 1))).toBe(true);
      expect(decodes(proof(0, 1))).toBe(false);
      expect(decodes(proof(2, 256))).toBe(false);
      expect(decodes(proof(MAX_CUT_DEPTH + 1, 0))).toBe(false);
    }
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

  it('refuses every truncation of a delta, and decodes changed bytes only into a well-formed one', () => {
    fc.assert(
      fc.property(
        fc.array(mapDeltaArb, { minLength: 1, maxLength: 2 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 }),
        (objects, changes) => {
          const bytes = encodeDelta(
            { channel: 'c', push: false, final: true, fresh: false, objects: outgoing(objects) },
            peers,
          );
          for (let length = 0; length < bytes.length; length++)
            expect(decodeDelta(bytes.subarray(0, length), peers).ok).toBe(false);
          // A byte or a few changed: the decoder reaches proofs, entries and ghosts with wrong
          // counts, depths, places and stamps, where arbitrary bytes fail at the first fields.
          const changed = bytes.slice();
          for (const [at, byte] of changes) changed[at % changed.length] = byte;
          let decoded: ReturnType<typeof decodeDelta> | undefined;
          expect(() => {
            decoded = decodeDelta(changed, peers);
          }).not.toThrow();
          if (decoded === undefined || !decoded.ok) return;
          for (const object of decoded.value.objects) if (object.kind === 'map') expectWellFormed(object);
        },
      ),
      { numRuns: 300 },
    );
  });
});
