import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTimestamps } from '../clock/timestamp.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import type { MapClock } from '../protocol/sync-messages.js';
import { HeldBeyondSum } from './held-beyond.js';
import { MapReplica } from './map-replica.js';

const w = 'writer' as NodeId;
const entry = (key: string, wall: number): MapEntry => ({ key, value: key, wall, counter: 0, writer: w });

function clocksOf(replica: MapReplica): Map<NodeId, MapClock> {
  return new Map(replica.clocks());
}

describe('MapReplica', () => {
  it('summarizes entries held beyond a synced clock, and forgets them once a claim covers them', () => {
    const replica = new MapReplica();
    replica.map.merge([entry('a', 10), entry('b', 20)]);
    expect(clocksOf(replica).get(w)?.beyond).toMatchObject({ count: 2, max: { wall: 20, counter: 0 } });
    expect(
      replica.acceptClaim({ writer: w, from: { wall: 0, counter: 0 }, to: { wall: 20, counter: 0 } }),
    ).toBe(true);
    expect(clocksOf(replica).get(w)).toEqual({ wall: 20, counter: 0 });
  });

  it('while merging, notes entries beyond the clock only once the claims are in', () => {
    const replica = new MapReplica();
    replica.merging(() => {
      replica.map.merge([entry('a', 10), entry('b', 20), entry('a', 25), entry('c', 30)]);
      replica.acceptClaim({ writer: w, from: { wall: 0, counter: 0 }, to: { wall: 20, counter: 0 } });
    });
    // a@25 replaced a@10 and c@30 is past the claim: those two are held beyond, b is covered.
    expect(clocksOf(replica).get(w)?.beyond).toMatchObject({ count: 2, max: { wall: 30, counter: 0 } });
    replica.raiseClock(w, { wall: 30, counter: 0 });
    expect(clocksOf(replica).get(w)).toEqual({ wall: 30, counter: 0 });
  });

  it('leaves entries not durable yet out of its summary, so a peer answering sends them again', () => {
    // Soak seed 2027: a node summed pushed entries still in its write queue, was killed, and on
    // restart accepted the answer to that digest (a claim past them, the entries skipped).
    const source = new MapReplica();
    source.map.merge([entry('a', 10), entry('b', 20)]);
    source.raiseClock(w, { wall: 20, counter: 0 });
    const peer = new MapReplica();
    const pushed = [entry('a', 10), entry('b', 20)];
    peer.map.merge(pushed);
    peer.pendingDurable(pushed);
    expect(clocksOf(peer).get(w)?.beyond).toBeUndefined();
    expect(source.planDelta(clocksOf(peer), '', null).entries.map((e) => e.key)).toEqual(['a', 'b']);
    peer.becameDurable(pushed);
    expect(clocksOf(peer).get(w)?.beyond).toMatchObject({ count: 2 });
    expect(source.planDelta(clocksOf(peer), '', null).entries).toEqual([]);
  });

  it('does not resend what a peer already holds beyond its clock, yet lets its clock catch up', () => {
    const source = new MapReplica();
    source.map.merge([entry('a', 10), entry('b', 20), entry('c', 30)]);
    source.raiseClock(w, { wall: 30, counter: 0 });
    const peer = new MapReplica(); // got a and b by eager push: unclaimed
    peer.map.merge([entry('a', 10), entry('b', 20)]);
    const plan = source.planDelta(clocksOf(peer), '', null);
    expect(plan.entries.map((e) => e.key)).toEqual(['c']);
    expect(plan.claims).toEqual([{ writer: w, from: { wall: 0, counter: 0 }, to: { wall: 30, counter: 0 } }]);
    peer.map.merge(plan.entries);
    for (const claim of plan.claims) peer.acceptClaim(claim);
    expect(peer.clockOf(w)).toEqual({ wall: 30, counter: 0 });
    expect(source.planDelta(clocksOf(peer), '', null).entries).toEqual([]);
  });

  it('resends the whole span when the peer holds something else there', () => {
    const source = new MapReplica();
    source.map.merge([entry('a', 10), entry('b', 20)]);
    source.raiseClock(w, { wall: 20, counter: 0 });
    const peer = new MapReplica();
    peer.map.merge([entry('b', 20)]); // lacks a, but its max is as high
    expect(source.planDelta(clocksOf(peer), '', null).entries.map((e) => e.key)).toEqual(['a', 'b']);
  });

  it('sends a peer that lost a few of a thousand pushed entries about those, not all of them again', () => {
    const all = Array.from({ length: 1000 }, (_, i) => entry(`k${i}`, 10 + i));
    const source = new MapReplica();
    source.map.merge(all);
    source.raiseClock(w, { wall: 1009, counter: 0 });
    const peer = new MapReplica(); // got them by eager push, unclaimed, but one push of 30 was lost
    const lost = all.slice(400, 430);
    peer.map.merge(all.filter((e) => !lost.includes(e)));
    const plan = source.planDelta(clocksOf(peer), '', null);
    expect(plan.entries).toEqual(expect.arrayContaining(lost));
    // The lost run and at most the two buckets of about 62 entries it falls in (16 buckets).
    expect(plan.entries.length).toBeLessThanOrEqual(30 + 2 * 63);
    peer.merging(() => {
      peer.map.merge(plan.entries);
      for (const claim of plan.claims) peer.acceptClaim(claim);
    });
    expect(peer.clockOf(w)).toEqual({ wall: 1009, counter: 0 });
    expect(source.planDelta(clocksOf(peer), '', null).entries).toEqual([]);
  });

  it('summarizes exactly the live entries beyond each clock, whatever order entries and raises come in', () => {
    const writers = ['a', 'b'] as NodeId[];
    const stamp = fc.record({
      wall: fc.integer({ min: 1, max: 40 }),
      counter: fc.integer({ min: 0, max: 2 }),
    });
    const op = fc.oneof(
      fc.record({ key: fc.constantFrom('k1', 'k2', 'k3', 'k4'), writer: fc.constantFrom(...writers), stamp }),
      fc.record({ raise: fc.constantFrom(...writers), stamp }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const replica = new MapReplica();
        for (const next of ops) {
          if ('raise' in next) replica.raiseClock(next.raise, next.stamp);
          else replica.map.merge([{ key: next.key, value: 1, writer: next.writer, ...next.stamp }]);
        }
        const clocks = clocksOf(replica);
        for (const writer of writers) {
          const expected = new HeldBeyondSum();
          for (const held of replica.map.allEntries())
            if (held.writer === writer && compareTimestamps(held, replica.clockOf(writer)) > 0)
              expected.add(held);
          expect(clocks.get(writer)?.beyond).toEqual(expected.summary());
        }
      }),
    );
  });

  it('plans exactly the entries a scan of the whole map finds, in writer then version order', () => {
    const writers = ['a', 'b', 'c'] as NodeId[];
    const stamp = fc.record({
      wall: fc.integer({ min: 1, max: 30 }),
      counter: fc.integer({ min: 0, max: 2 }),
    });
    const op = fc.oneof(
      fc.record({
        key: fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5'),
        writer: fc.constantFrom(...writers),
        stamp,
      }),
      fc.record({ purge: fc.constantFrom('k1', 'k2', 'k3') }),
    );
    const holds = fc.constantFrom('nothing beyond', 'ours beyond', 'something else beyond');
    const remoteArb = fc.array(fc.tuple(fc.constantFrom(...writers), stamp, holds), { maxLength: 3 });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), remoteArb, (ops, remoteSpec) => {
        const replica = new MapReplica();
        // A writer never stamps two writes alike: the op's index is its counter.
        ops.forEach((next, index) => {
          if ('purge' in next) replica.purge(next.purge);
          else
            replica.map.merge([
              { key: next.key, value: 1, writer: next.writer, wall: next.stamp.wall, counter: index },
            ]);
        });
        // The peer's clocks, some with a summary of what it holds beyond them (ours there, or nothing).
        const remote = new Map<NodeId, MapClock>();
        const exactSpan = new Set<NodeId>();
        for (const [writer, clock, held] of remoteSpec) {
          if (held === 'ours beyond') exactSpan.add(writer);
          else exactSpan.delete(writer);
          const ours = new HeldBeyondSum();
          for (const entry of replica.map.allEntries())
            if (entry.writer === writer && compareTimestamps(entry, clock) > 0) ours.add(entry);
          const beyond =
            held === 'ours beyond'
              ? ours.summary()
              : held === 'something else beyond'
                ? { max: { wall: 30, counter: 2 }, count: ours.count + 1, sum1: 1, sum2: 2 }
                : undefined;
          remote.set(writer, beyond === undefined ? clock : { ...clock, beyond });
        }
        const expected = [...replica.map.allEntries()]
          .filter((entry) => {
            const known = remote.get(entry.writer);
            if (known === undefined) return true;
            if (compareTimestamps(entry, known) <= 0) return false;
            // A span the peer holds exactly is not sent again; any other span is sent whole.
            if (known.beyond === undefined || !exactSpan.has(entry.writer)) return true;
            return compareTimestamps(entry, known.beyond.max) > 0;
          })
          .sort((x, y) => (x.writer !== y.writer ? (x.writer < y.writer ? -1 : 1) : compareTimestamps(x, y)));
        expect(replica.planDelta(remote, '', null).entries).toEqual(expected);
      }),
    );
  });
});
