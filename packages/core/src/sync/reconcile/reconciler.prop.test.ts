import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReconcileIndex } from './reconcile-index.js';
import { Reconciler, type ReconcilerOptions } from './reconciler.js';

type Replica = Map<string, Uint8Array>;

interface Outcome {
  readonly foundByA: Set<string>;
  readonly foundByB: Set<string>;
  readonly maxMessage: number;
  /** Messages delivered. */
  readonly messages: number;
}

function indexOf(replica: Replica): ReconcileIndex {
  const index = new ReconcileIndex();
  for (const [key, version] of replica) index.set(key, version);
  return index;
}

/** A small seeded generator (core code and its tests never touch Math.random). */
function lossy(seed: number, lossRate: number): () => boolean {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32 < lossRate;
  };
}

/**
 * Runs one session over a link that drops messages; a side awaiting an answer re-sends its last
 * message after a (virtual) timeout, as the engine would.
 */
function reconcile(
  a: Replica,
  b: Replica,
  options: ReconcilerOptions,
  drop: () => boolean,
  sketch = false,
): Outcome {
  const sides = [new Reconciler(indexOf(a), options), new Reconciler(indexOf(b), options)] as const;
  const found = [new Set<string>(), new Set<string>()] as const;
  let inFlight: Uint8Array | undefined = sides[0].initiate({ sketch });
  let messages = 0;
  let to = 1;
  let maxMessage = inFlight.length;
  for (let step = 0; step < 20_000 && inFlight !== undefined; step++) {
    maxMessage = Math.max(maxMessage, inFlight.length);
    if (drop()) {
      const sender = 1 - to;
      const again: Uint8Array | undefined = sides[sender]!.resend();
      if (again !== undefined) {
        inFlight = again;
      } else {
        inFlight = sides[to]!.resend();
        to = sender;
      }
      expect(inFlight).toBeDefined();
      continue;
    }
    messages++;
    const result = sides[to]!.receive(inFlight);
    if (!result.ok) throw new Error(result.error);
    for (const key of result.value.theyMayNeed) found[to]!.add(key);
    inFlight = result.value.reply;
    to = 1 - to;
  }
  expect(inFlight).toBeUndefined();
  return { foundByA: found[0], foundByB: found[1], maxMessage, messages };
}

/** Keys of `mine` whose item `theirs` lacks: absent there, or with another version. */
function expectedFinds(mine: Replica, theirs: Replica): Set<string> {
  const out = new Set<string>();
  for (const [key, version] of mine) {
    const other = theirs.get(key);
    if (
      other === undefined ||
      !other.every((byte, i) => byte === version[i]) ||
      other.length !== version.length
    )
      out.add(key);
  }
  return out;
}

const version = fc.uint8Array({ minLength: 1, maxLength: 4 });
const keyName = fc.oneof(
  fc.integer({ min: 0, max: 2000 }).map((n) => `k${n}`),
  fc.string({ maxLength: 6 }),
);

/** Two replicas sharing a base, each with its own extra keys and changed versions. */
const replicas = fc
  .record({
    base: fc.array(fc.tuple(keyName, version), { maxLength: 600, size: 'max' }),
    onlyA: fc.array(fc.tuple(keyName, version), { maxLength: 40 }),
    onlyB: fc.array(fc.tuple(keyName, version), { maxLength: 40 }),
    changedInB: fc.array(fc.nat(), { maxLength: 20 }),
    dropFromA: fc.array(fc.nat(), { maxLength: 20 }),
  })
  .map(({ base, onlyA, onlyB, changedInB, dropFromA }) => {
    const a: Replica = new Map(base);
    const b: Replica = new Map(base);
    for (const [key, v] of onlyA) a.set(key, v);
    for (const [key, v] of onlyB) b.set(key, v);
    for (const n of changedInB)
      if (base.length > 0) b.set(base[n % base.length]![0], Uint8Array.of(0xff, n & 0xff));
    for (const n of dropFromA) if (base.length > 0) a.delete(base[n % base.length]![0]);
    return { a, b };
  });

const options: fc.Arbitrary<ReconcilerOptions> = fc.record({
  maxMessageBytes: fc.integer({ min: 256, max: 1400 }),
  itemThreshold: fc.integer({ min: 1, max: 48 }),
});

describe('Reconciler', () => {
  it('finds exactly the differing keys on each side, under loss and small budgets', () => {
    fc.assert(
      fc.property(
        replicas,
        options,
        fc.integer(),
        fc.constantFrom(0, 0.1, 0.3),
        fc.boolean(),
        ({ a, b }, opts, seed, lossRate, sketch) => {
          const outcome = reconcile(a, b, opts, lossy(seed, lossRate), sketch);
          expect(outcome.foundByA).toEqual(expectedFinds(a, b));
          expect(outcome.foundByB).toEqual(expectedFinds(b, a));
          expect(outcome.maxMessage).toBeLessThanOrEqual(opts.maxMessageBytes!);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('handles empty sides: everything the other side holds is found by it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keyName, version), { maxLength: 300, size: 'max' }),
        fc.boolean(),
        (entries, flip) => {
          const full: Replica = new Map(entries);
          const empty: Replica = new Map();
          const [a, b] = flip ? [empty, full] : [full, empty];
          const outcome = reconcile(a, b, {}, () => false);
          expect(outcome.foundByA).toEqual(new Set(a.keys()));
          expect(outcome.foundByB).toEqual(new Set(b.keys()));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('settles equal sets in one round trip of a few bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keyName, version), { maxLength: 300, size: 'max' }), (entries) => {
        const replica: Replica = new Map(entries);
        const a = new Reconciler(indexOf(replica));
        const b = new Reconciler(indexOf(replica));
        const first = a.initiate();
        const answer = b.receive(first);
        expect(answer.ok && answer.value.done).toBe(true);
        const reply = answer.ok ? answer.value.reply : undefined;
        expect(reply).toBeDefined();
        const last = a.receive(reply!);
        expect(last.ok && last.value.reply === undefined && last.value.done).toBe(true);
        expect(first.length + reply!.length).toBeLessThanOrEqual(16);
      }),
      { numRuns: 30 },
    );
  });

  it('with a sketch, finds one extra key on either side in one round trip', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keyName, version), { maxLength: 300, size: 'max' }),
        fc.tuple(fc.string({ minLength: 7 }), version),
        fc.boolean(),
        (entries, [extraKey, extraVersion], onA) => {
          const base: Replica = new Map(entries);
          const more: Replica = new Map([...entries, [extraKey, extraVersion]]);
          const [a, b] = onA ? [more, base] : [base, more];
          const outcome = reconcile(a, b, {}, () => false, true);
          expect(new Set([...outcome.foundByA, ...outcome.foundByB])).toEqual(new Set([extraKey]));
          // initiate, the answer (naming elements or empty), and the initiator's empty ack.
          expect(outcome.messages).toBeLessThanOrEqual(3);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('rejects budgets too small for one record', () => {
    expect(() => new Reconciler(new ReconcileIndex(), { maxMessageBytes: 255 })).toThrow(/maxMessageBytes/);
  });
});
