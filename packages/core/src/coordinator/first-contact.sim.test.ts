import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { fcParams } from '@shoal/testkit';
import { SimulatedNetwork } from '@shoal/transport-memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { nobleEd25519 } from '../ports/signer.js';
import type { OutgoingObject } from '../protocol/sync-codec.js';
import { hostilePeer } from '../test-support/hostile-peer.js';
import { joinObjects, SignedMapWriter } from '../test-support/signed-map.js';
import type { Coordinator } from './coordinator.js';
import { createNode } from './create-node.js';
import type { SharedMap } from './shared-map.js';

/** A generated-looking id (32 hex digits) for writer `i`: random bytes, as on the wire. */
function writerId(i: number): NodeId {
  return bytesToHex(sha256(Uint8Array.of(i >> 8, i & 255))).slice(0, 32) as NodeId;
}

/** Each writer's signed set of map `m` (its key is made from its number). */
const signers = new Map<number, SignedMapWriter>();
function signer(i: number): SignedMapWriter {
  let writer = signers.get(i);
  if (writer === undefined) {
    writer = new SignedMapWriter('m', writerId(i), sha256(Uint8Array.of(7, i >> 8, i & 255)));
    signers.set(i, writer);
  }
  return writer;
}

/** The map `writers` writers wrote, one key each, signed as each writer sends its set. */
function manyWriters(writers: readonly number[]): OutgoingObject[] {
  return [
    joinObjects(
      writers.map((i) => {
        const writer = signer(i);
        writer.add([
          {
            entry: { key: `k${i}`, value: i, wall: 1_000 + i, counter: 0, writer: writerId(i) },
            valueBytes: Uint8Array.of(i % 128),
          },
        ]);
        return writer.object();
      }),
    ),
  ];
}

interface Pair {
  readonly net: SimulatedNetwork;
  readonly a: Coordinator;
  readonly b: Coordinator;
  readonly onA: SharedMap;
  readonly onB: SharedMap;
  /** Hands one side entries (with claims) as the third node does. */
  readonly feed: (to: 'a' | 'b', objects: OutgoingObject[]) => void;
}

/**
 * Two nodes that never talked, each handed a map by a third (`writersA`, `writersB` writers),
 * kept apart until the caller heals the network: their next sync is a first contact.
 */
async function strangers(
  net: SimulatedNetwork,
  writersA: readonly number[],
  writersB: readonly number[],
): Promise<Pair> {
  net.block('a', 'b');
  net.block('b', 'a');
  const feed = hostilePeer(net, 'feeder');
  for (const to of ['a', 'b']) net.setLinkLoss('feeder', to, 0);
  // Hundreds of writers' signed sets to check: OpenSSL's Ed25519, as nodes on Node run it.
  const a = await createNode({ id: 'a', ...net.nodePorts('a'), signer: nobleEd25519 });
  const b = await createNode({ id: 'b', ...net.nodePorts('b'), signer: nobleEd25519 });
  // In pieces that fit a datagram (a writer's signed set takes about 130 bytes).
  for (let i = 0; i < Math.max(writersA.length, writersB.length); i += 6) {
    if (i < writersA.length) feed('a', 'c', manyWriters(writersA.slice(i, i + 6)));
    if (i < writersB.length) feed('b', 'c', manyWriters(writersB.slice(i, i + 6)));
  }
  const onA = (await a.channel('c')).map('m');
  const onB = (await b.channel('c')).map('m');
  const fed = await net.runUntil(() => onA.size === writersA.length && onB.size === writersB.length, {
    timeout: 10_000,
  });
  expect(fed).toBe(true);
  return { net, a, b, onA, onB, feed: (to, objects) => feed(to, 'c', objects) };
}

function same(onA: SharedMap, onB: SharedMap): boolean {
  if (onA.size !== onB.size) return false;
  for (const key of onA.keys()) if (onA.getEntry(key)?.writer !== onB.getEntry(key)?.writer) return false;
  for (const key of onA.keys()) if (onA.get(key) !== onB.get(key)) return false;
  return true;
}

/** As UDP carries them: a full digest of a few hundred writers takes several messages. */
const DATAGRAM = 1200;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('first contact with many writers (ADR 0047)', () => {
  it('costs a summary and the clocks of the buckets that differ, not a clock per writer', async () => {
    const net = new SimulatedNetwork({ seed: 7, latency: 5, maxMessageSize: DATAGRAM });
    const { a, b, onA, onB } = await strangers(net, range(400), range(400));
    const digestBytes = () =>
      a.stats().traffic.received.digest.bytes + b.stats().traffic.received.digest.bytes;
    const before = digestBytes();
    await onA.set('x', 1);
    await onB.set('y', 2);
    net.heal();
    expect(await net.runUntil(() => same(onA, onB) && onA.has('x') && onA.has('y'), { timeout: 5_000 })).toBe(
      true,
    );
    const spent = digestBytes() - before;
    // A full digest of 400 writers is ~9 KB (23 B a clock, ids of random hex deflate little);
    // the summary is 64 buckets of 4 B, and each differing bucket's answer ~7 clocks.
    console.log(`first contact, 400 writers, a change on each side: ${spent} B of digests`);
    expect(spent).toBeLessThan(1_500);
  });

  it('completes a first-contact syncNow in a round trip or two, whichever side has news', async () => {
    for (const side of ['a', 'b'] as const) {
      const net = new SimulatedNetwork({ seed: 3, latency: 5, maxMessageSize: DATAGRAM });
      const { a, onA, onB, feed } = await strangers(net, range(300), range(300));
      // One side saw a newer write of writer 5 (its clock for w5 is ahead).
      // The writer's whole set as it is now (its earlier write replaced), signed.
      const five = signer(5);
      five.add([
        {
          entry: { key: 'k5', value: -5, wall: 9_000, counter: 0, writer: writerId(5) },
          valueBytes: Uint8Array.of(0xfb),
        },
      ]);
      const newer = [five.object()];
      feed(side, newer);
      const fed = side === 'a' ? onA : onB;
      expect(await net.runUntil(() => fed.get('k5') === -5, { timeout: 1_000 })).toBe(true);
      net.heal();
      // News on a: a's summary is answered with b's clocks of w5's bucket; a lacks nothing,
      // and that answer ends a's round (a resent digest would be answered only after
      // `pullTimeout`, 400 ms). News on b: a rebuilds b's set from the answer, asks with a
      // reply digest, and b's delta ends the round.
      let result: unknown;
      void a.syncNow('b').then((done) => {
        result = done;
      });
      expect(await net.runUntil(() => result !== undefined, { timeout: 100 })).toBe(true);
      expect(result).toEqual([{ peer: 'b', synced: ['c'], unanswered: [] }]);
      expect(onA.get('k5')).toBe(-5);
      expect(await net.runUntil(() => same(onA, onB), { timeout: 100 })).toBe(true);
    }
  });

  it('falls back to the full digest when the answer would not fit a message', async () => {
    const net = new SimulatedNetwork({ seed: 4, latency: 5, maxMessageSize: DATAGRAM });
    // b holds 300 writers a never heard of, in every bucket: its answer would list ~600 clocks.
    const { a, b, onA, onB } = await strangers(net, range(300), [
      ...range(300),
      ...range(300).map((i) => 5_000 + i),
    ]);
    const digests = () => a.stats().traffic.sent.digest.messages + b.stats().traffic.sent.digest.messages;
    const before = digests();
    net.heal();
    expect(await net.runUntil(() => same(onA, onB), { timeout: 5_000 })).toBe(true);
    // A summary, then, after the `unknownBase`, a full digest of 300 or 600 clocks: 7 chunks or
    // more (an oversized answer would have gone as fragments, and no full digest at all).
    expect(digests() - before).toBeGreaterThan(7);
  });

  it('converges under loss, duplication and reordering, whatever each side holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.nat(),
          loss: fc.double({ min: 0, max: 0.3, noNaN: true }),
          duplicate: fc.double({ min: 0, max: 0.2, noNaN: true }),
          reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
          writers: fc.integer({ min: 100, max: 300 }),
          // Writers one side never heard of (the answer's whole-object and removal paths).
          onlyA: fc.nat(5),
          onlyB: fc.nat(5),
          changesA: fc.array(fc.nat(299), { maxLength: 4 }),
          changesB: fc.array(fc.nat(299), { maxLength: 4 }),
        }),
        async (run) => {
          const net = new SimulatedNetwork({
            seed: run.seed,
            maxMessageSize: DATAGRAM,
            latency: { min: 1, max: 10 },
            loss: run.loss,
            duplicate: run.duplicate,
            reorder: run.reorder,
          });
          const shared = range(run.writers);
          const { onA, onB } = await strangers(
            net,
            [...shared, ...range(run.onlyA).map((i) => 1_000 + i)],
            [...shared, ...range(run.onlyB).map((i) => 2_000 + i)],
          );
          for (const key of run.changesA) void onA.set(`k${key}`, -key);
          for (const key of run.changesB) void onB.set(`k${key}`, -key - 1);
          await net.runFor(50);
          net.heal();
          expect(await net.runUntil(() => same(onA, onB), { timeout: 60_000 })).toBe(true);
        },
      ),
      fcParams({ numRuns: 25 }),
    );
  }, 120_000);
});
