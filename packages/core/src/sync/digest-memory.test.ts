import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import type { DigestMessage, MapProof } from '../protocol/sync-messages.js';
import type { DigestSource } from './digest-builder.js';
import { DigestMemory } from './digest-memory.js';
import type { SetSignature } from './verified-sets.js';

const alice = 'alice' as NodeId;
const bob = 'bob' as NodeId;
const CHANNEL = 'c';
const options = { reply: false, fresh: true, budget: 1200 };

/** A map `m` whose writers w0..w{n-1} each have clock (1000 + i, 0). */
function mapSource(writers: number, bump: Record<string, number> = {}): DigestSource {
  const clocks = Array.from({ length: writers }, (_, i) => {
    const id = `w${String(i).padStart(4, '0')}` as NodeId;
    return [id, { wall: 1000 + i + (bump[id] ?? 0), counter: 0 }] as const;
  });
  return { id: 'm:m', kind: 'map', name: 'm', clocks };
}

function clocksOf(digest: DigestMessage): number {
  return digest.objects.reduce((sum, object) => sum + object.clocks.length, 0);
}

describe('DigestMemory', () => {
  it('sends a digest relative to what the peer last sent us, once our clocks caught up with it', () => {
    const atAlice = new DigestMemory(8);
    const atBob = new DigestMemory(8);
    // Alice's full digest of 200 writers takes several chunks; Bob keeps the whole set.
    const full = atAlice.outgoing(bob, CHANNEL, [mapSource(200)], options);
    expect(full.length).toBeGreaterThan(1);
    const wholes = full.map((chunk) => atBob.receive(alice, chunk, 0)?.whole);
    // Only the last chunk completes the set, and then the whole of it is known.
    expect(wholes.slice(0, -1).every((whole) => whole === undefined)).toBe(true);
    expect(clocksOf(wholes.at(-1) as DigestMessage)).toBe(200);
    // Bob now holds what Alice has, plus one newer clock: his digest names her set as its base.
    const [relative, ...rest] = atBob.outgoing(alice, CHANNEL, [mapSource(200, { w0007: 5 })], options);
    expect(rest).toEqual([]);
    expect(relative?.base).toBeDefined();
    expect(clocksOf(relative as DigestMessage)).toBe(1);
    // Alice resolves it against the set she sent.
    const resolved = atAlice.receive(bob, relative as DigestMessage, 1);
    expect(resolved?.whole).toBe(resolved?.digest);
    expect(clocksOf(resolved?.digest as DigestMessage)).toBe(200);
    const bumped = resolved?.digest.objects[0]?.clocks.find(([id]) => id === 'w0007');
    expect(bumped?.[1]).toEqual({ wall: 1012, counter: 0 });
  });

  it('never treats a chunked digest with a gap as whole', () => {
    const atAlice = new DigestMemory(8);
    const atBob = new DigestMemory(8);
    const full = atAlice.outgoing(bob, CHANNEL, [mapSource(200)], options);
    expect(full.length).toBeGreaterThan(2);
    const wholes = full.map((chunk, index) =>
      index === 1 ? undefined : atBob.receive(alice, chunk, 0)?.whole,
    );
    expect(wholes.every((whole) => whole === undefined)).toBe(true);
    expect([...atBob.received(CHANNEL)]).toEqual([]);
    // So Bob has no base in common with Alice but what he sent: a full digest again.
    const next = atBob.outgoing(alice, CHANNEL, [mapSource(200)], options);
    expect(next[0]?.base).toBeUndefined();
  });

  it('answers a base it does not hold with undefined, and forgets its bases when told', () => {
    const atAlice = new DigestMemory(8);
    atAlice.outgoing(bob, CHANNEL, [mapSource(3)], options);
    atAlice.delivered(bob, CHANNEL);
    const relative = atAlice.outgoing(
      bob,
      CHANNEL,
      [mapSource(3, { w0001: 1 })],
      options,
    )[0] as DigestMessage;
    expect(relative.base).toBeDefined();
    expect(new DigestMemory(8).receive(alice, relative, 0)).toBeUndefined();
    expect(atAlice.forgetBases(bob, CHANNEL)).toMatchObject({ reply: false });
    expect(atAlice.outgoing(bob, CHANNEL, [mapSource(3)], options)[0]?.base).toBeUndefined();
  });

  it('advances its belief of a peer by the proofs it sends, as the peer would take them', () => {
    const atAlice = new DigestMemory(8);
    const atBob = new DigestMemory(8);
    for (const chunk of atBob.outgoing(alice, CHANNEL, [mapSource(5)], options))
      atAlice.receive(bob, chunk, 0);
    const [w0, w1, w2, w3, w4] = ['w0000', 'w0001', 'w0002', 'w0003', 'w0004'] as [
      NodeId,
      NodeId,
      NodeId,
      NodeId,
      NodeId,
    ];
    const signed = (wall: number, counter = 0): SetSignature => ({
      version: { wall, counter },
      signature: new Uint8Array(64),
      publicKey: new Uint8Array(32),
    });
    const whole = (writer: NodeId, from: number, to: SetSignature): MapProof => ({
      kind: 'whole',
      writer,
      from: { wall: from, counter: 0 },
      signed: to,
      entries: 1,
      ghosts: 0,
    });
    const slice = (writer: NodeId, wall: number): MapProof => ({
      kind: 'slice',
      writer,
      version: { wall, counter: 0 },
      at: { depth: 1, index: 3 },
      entries: 1,
      ghosts: 0,
    });
    atAlice.noteSent(bob, CHANNEL, [
      {
        kind: 'map',
        name: 'm',
        proofs: [
          // From Bob's clock for w0 (1000): taken, to the signed version.
          whole(w0, 1000, signed(1500, 2)),
          // From beyond Bob's clock for w1 (1001): a gap Bob cannot judge, skipped.
          whole(w1, 1200, signed(1300)),
          // From before Bob's clock for w2 (1002): what he holds is sent again, and taken.
          whole(w2, 0, signed(1100)),
          // Signed before Bob's clock for w3 (1003): nothing moves back.
          whole(w3, 0, signed(900)),
          // A cut and its parts: the peer's clock is the cut's version once they are in.
          { kind: 'cut', writer: w4, signed: signed(2000), nodes: [] },
          slice(w4, 2000),
          // A part alone moves nothing, not even for a writer the peer lacks.
          slice('w0009' as NodeId, 5000),
        ],
      },
      {
        kind: 'stream',
        name: 's',
        entries: [1, 2, 4].map((seq) => ({
          author: w0,
          seq,
          wall: 1,
          counter: 0,
          payload: new Uint8Array(),
        })),
      },
    ]);
    const believed = atAlice.believed(bob, CHANNEL);
    const map = believed?.objects.find((object) => object.kind === 'map');
    expect(map?.clocks).toEqual([
      [w0, { wall: 1500, counter: 2 }],
      [w1, { wall: 1001, counter: 0 }],
      [w2, { wall: 1100, counter: 0 }],
      [w3, { wall: 1003, counter: 0 }],
      [w4, { wall: 2000, counter: 0 }],
    ]);
    const stream = believed?.objects.find((object) => object.kind === 'stream');
    expect(stream?.clocks).toEqual([[w0, { seq: 2 }]]);
    expect(atAlice.believed(alice, CHANNEL)).toBeUndefined();
  });

  it('names only sets the peer answered, yet resolves any of its last few sent sets', () => {
    const atAlice = new DigestMemory(8);
    const atBob = new DigestMemory(8);
    const first = atAlice.outgoing(bob, CHANNEL, [mapSource(3)], options);
    for (const chunk of first) atBob.receive(alice, chunk, 0);
    // Not answered yet: the next digest cannot lean on the first.
    expect(atAlice.outgoing(bob, CHANNEL, [mapSource(3, { w0001: 1 })], options)[0]?.base).toBeUndefined();
    atAlice.delivered(bob, CHANNEL);
    // Bob's own digest names the set he received from Alice; she resolves it though she has
    // sent another since (lost on the way, say).
    const fromBob = atBob.outgoing(alice, CHANNEL, [mapSource(3, { w0002: 1 })], options)[0] as DigestMessage;
    expect(fromBob.base).toBeDefined();
    expect(atAlice.receive(bob, fromBob, 1)?.whole).toBeDefined();
  });
});
