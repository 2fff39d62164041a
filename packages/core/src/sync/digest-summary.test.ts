import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import type { DigestMessage, DigestSummary, SummaryAnswer } from '../protocol/sync-messages.js';
import type { DigestSource } from './digest-builder.js';
import { clockSetOf, DigestMemory } from './digest-memory.js';

const alice = 'alice' as NodeId;
const bob = 'bob' as NodeId;
const CHANNEL = 'c';
const round = { reply: false, fresh: true, budget: 1200, summarize: true };

/** A map `m` whose writers w0..w{n-1} each have clock (1000 + i, 0), some bumped, some left out. */
function mapSource(writers: number, bump: Record<string, number> = {}, without: string[] = []): DigestSource {
  const clocks = Array.from({ length: writers }, (_, i) => {
    const id = `w${String(i).padStart(4, '0')}` as NodeId;
    return [id, { wall: 1000 + i + (bump[id] ?? 0), counter: 0 }] as const;
  }).filter(([id]) => !without.includes(id));
  return { id: 'm:m', kind: 'map', name: 'm', clocks };
}

/** The answer digest to `summary`, as its receiver would send it. */
function answerTo(summary: DigestMessage, answer: SummaryAnswer): DigestMessage {
  const { summary: _summary, ...rest } = summary;
  return { ...rest, answer };
}

function clocksOf(digest: DigestMessage | undefined): number {
  return digest?.objects.reduce((sum, object) => sum + object.clocks.length, 0) ?? -1;
}

describe('DigestMemory summaries (ADR 0047)', () => {
  it('summarizes a first digest that would take several messages, and only a round opener', () => {
    const memory = new DigestMemory(8);
    const [summary, ...rest] = memory.outgoing(bob, CHANNEL, [mapSource(400)], round);
    expect(rest).toEqual([]);
    expect(summary?.summary?.objects[0]?.bits).toBe(6);
    // A reply, or after the peer could not resolve a summary: the full chunked form.
    expect(memory.outgoing(bob, CHANNEL, [mapSource(400)], { ...round, reply: true }).length).toBeGreaterThan(
      1,
    );
    expect(
      memory.outgoing(bob, CHANNEL, [mapSource(400)], { ...round, summarize: false }).length,
    ).toBeGreaterThan(1);
    // One message already: as before.
    expect(new DigestMemory(8).outgoing(bob, CHANNEL, [mapSource(20)], round)[0]?.summary).toBeUndefined();
  });

  it("lets the receiver rebuild the sender's whole set when every bucket matches", () => {
    const atAlice = new DigestMemory(8);
    const atBob = new DigestMemory(8);
    const [summary] = atAlice.outgoing(bob, CHANNEL, [mapSource(400)], round);
    const resolved = atBob.receiveSummary(
      alice,
      summary as DigestMessage,
      summary?.summary as DigestSummary,
      clockSetOf([mapSource(400)]),
      0,
    );
    expect(resolved !== undefined && 'whole' in resolved && clocksOf(resolved.whole)).toBe(400);
    // That set is now a base: Bob's next digest, one clock later, is relative to it.
    const [next] = atBob.outgoing(alice, CHANNEL, [mapSource(400, { w0003: 1 })], round);
    expect(next?.base).toBeDefined();
    expect(clocksOf(next)).toBe(1);
  });

  it('answers differing buckets with its clocks there, from which the sender rebuilds its set', () => {
    const atAlice = new DigestMemory(8);
    const atBob = new DigestMemory(8);
    const [summary] = atAlice.outgoing(bob, CHANNEL, [mapSource(400)], round);
    // Bob saw w0007 further, and never heard of w0100.
    const bobs = mapSource(400, { w0007: 5 }, ['w0100']);
    const resolved = atBob.receiveSummary(
      alice,
      summary as DigestMessage,
      summary?.summary as DigestSummary,
      clockSetOf([bobs]),
      0,
    );
    if (resolved === undefined || !('answer' in resolved)) throw new Error('expected an answer');
    const answered = resolved.answer.objects.flatMap((object) => (object.held ? object.clocks : []));
    // Two buckets of ~6 writers, not 400 clocks.
    expect(answered.length).toBeLessThan(20);
    const answer = answerTo(summary as DigestMessage, resolved.answer);
    const rebuilt = atAlice.receive(bob, answer, 1);
    expect(clocksOf(rebuilt?.whole)).toBe(399);
    const clock = rebuilt?.whole?.objects[0]?.clocks.find(([id]) => id === 'w0007')?.[1];
    expect(clock).toEqual({ wall: 1012, counter: 0 });
    // Alice's reply names Bob's set (which he remembered as sent) and says how hers differs.
    const [reply] = atAlice.outgoing(bob, CHANNEL, [mapSource(400, { w0007: 5 })], { ...round, reply: true });
    const back = atBob.receive(alice, reply as DigestMessage, 2);
    expect(clocksOf(back?.whole)).toBe(400);
  });

  it('refuses an answer that does not rebuild to the hash it states, or names an unknown set', () => {
    const atAlice = new DigestMemory(8);
    const atBob = new DigestMemory(8);
    const [summary] = atAlice.outgoing(bob, CHANNEL, [mapSource(400)], round);
    const bobs = clockSetOf([mapSource(400, { w0007: 5 })]);
    const resolved = atBob.receiveSummary(
      alice,
      summary as DigestMessage,
      summary?.summary as DigestSummary,
      bobs,
      0,
    );
    if (resolved === undefined || !('answer' in resolved)) throw new Error('expected an answer');
    const answer = (changes: Partial<SummaryAnswer>): DigestMessage =>
      answerTo(summary as DigestMessage, { ...resolved.answer, ...changes });
    expect(atAlice.receive(bob, answer({ hash: new Uint8Array(8) }), 1)).toBeUndefined();
    expect(atAlice.receive(bob, answer({ base: new Uint8Array(8) }), 1)).toBeUndefined();
    expect(atAlice.receive(bob, answer({ objects: [] }), 1)).toBeUndefined();
    expect(atAlice.receive(bob, answer({}), 1)?.whole).toBeDefined();
  });

  it('refuses a summary whose buckets all match but whose hash does not (a fingerprint collision)', () => {
    const atBob = new DigestMemory(8);
    const [summary] = new DigestMemory(8).outgoing(bob, CHANNEL, [mapSource(400)], round);
    const forged = {
      ...(summary as DigestMessage),
      summary: { ...summary?.summary, hash: new Uint8Array(8) },
    };
    expect(
      atBob.receiveSummary(
        alice,
        forged as DigestMessage,
        forged.summary as DigestSummary,
        clockSetOf([mapSource(400)]),
        0,
      ),
    ).toBeUndefined();
  });
});
