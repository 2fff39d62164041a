import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isShoalError, type ShoalError } from '../errors/shoal-error.js';
import type { MemoryStore } from '../storage/memory-store.js';
import { FillableStore } from '../test-support/fillable-store.js';
import { WriteQueue } from './write-queue.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function contents(store: MemoryStore): Promise<Map<string, string>> {
  const held = new Map<string, string>();
  for await (const [key, value] of store.scan(new Uint8Array(0)))
    held.set(decoder.decode(key), decoder.decode(value));
  return held;
}

/** What a store holds after the first `count` writes of `writes`. */
function replay(writes: readonly { key: string; value: string }[], count: number): Map<string, string> {
  const held = new Map<string, string>();
  for (const { key, value } of writes.slice(0, count)) held.set(key, value);
  return held;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('WriteQueue on a store that fills up', () => {
  it('keeps the store a prefix of what was queued, rejects while full, and writes everything once space returns', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), full: fc.boolean(), settle: fc.boolean() }),
          { minLength: 1, maxLength: 40 },
        ),
        async (steps) => {
          const store = new FillableStore();
          const errors: ShoalError[] = [];
          const queue = new WriteQueue(store, (error) => errors.push(error));
          const writes: { key: string; value: string }[] = [];
          const outcomes: Promise<'ok' | ShoalError>[] = [];
          for (const [index, step] of steps.entries()) {
            store.full = step.full;
            const write = { key: step.key, value: `v${index}` };
            writes.push(write);
            outcomes.push(
              queue
                .write({ type: 'put', key: encoder.encode(write.key), value: encoder.encode(write.value) })
                .then(
                  () => 'ok' as const,
                  (error: ShoalError) => error,
                ),
            );
            if (step.settle) await settle();
            // Whatever failed, the store holds exactly the first n writes for some n.
            const held = await contents(store);
            const prefixes = writes.map((_, count) => replay(writes, count + 1));
            prefixes.unshift(new Map());
            expect(prefixes.some((prefix) => sameMap(prefix, held))).toBe(true);
          }
          // The store holds a prefix that reaches the last acknowledged write; every failure
          // was reported, as STORAGE_FULL.
          const results = await Promise.all(outcomes);
          const held = await contents(store);
          const reach = [...writes.keys()].filter((count) => sameMap(replay(writes, count + 1), held));
          if (results.includes('ok'))
            expect(Math.max(-1, ...reach)).toBeGreaterThanOrEqual(results.lastIndexOf('ok'));
          const refused = results.filter((result) => result !== 'ok');
          for (const result of refused) expect(isShoalError(result, ErrorCode.StorageFull)).toBe(true);
          expect(errors.length > 0).toBe(refused.length > 0);
          // Still full: flush says so. Space returns: flush writes everything queued.
          if (store.full) await expect(queue.flush()).rejects.toMatchObject({ code: ErrorCode.StorageFull });
          store.full = false;
          await queue.flush();
          expect(sameMap(await contents(store), replay(writes, writes.length))).toBe(true);
          expect(queue.pending).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('says when a refused write lands after all (landed), and not before', async () => {
    const store = new FillableStore();
    const queue = new WriteQueue(store, () => {});
    store.full = true;
    const refused = queue.write({ type: 'put', key: encoder.encode('k'), value: encoder.encode('1') });
    let landed = false;
    void queue.landed(refused).then(() => {
      landed = true;
    });
    await expect(refused).rejects.toMatchObject({ code: ErrorCode.StorageFull });
    await queue.write({ type: 'put', key: encoder.encode('j'), value: encoder.encode('2') }).catch(() => {});
    await settle();
    expect(landed).toBe(false);
    store.full = false;
    await queue.write({ type: 'put', key: encoder.encode('i'), value: encoder.encode('3') });
    await settle();
    expect(landed).toBe(true);
    expect((await contents(store)).get('k')).toBe('1');
  });
});

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}
