import {
  type BatchOperation,
  compareBytes,
  ErrorCode,
  isShoalError,
  type KeyRange,
  type KeyValueStore,
  type PackedBatch,
  packBatch,
  startsWith,
  toHex,
} from '@shoal/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What a {@link KeyValueStoreSetup} hands the conformance suite for one test. */
export interface KeyValueStoreHarness {
  /** A fresh, empty, open store. */
  readonly store: KeyValueStore;
  /**
   * Opens a new store over the same data. The suite closes the previous store first. Give it
   * for durable adapters: the suite then checks that every resolved write survives reopening.
   */
  reopen?(): Promise<KeyValueStore>;
  /** Closes whatever store is still open (close is idempotent) and removes the data. */
  teardown(): Promise<void>;
}

/** Builds one isolated {@link KeyValueStoreHarness}; called once per test and per property run. */
export type KeyValueStoreSetup = () => Promise<KeyValueStoreHarness> | KeyValueStoreHarness;

/** Tuning for {@link describeKeyValueStoreConformance}. */
export interface KeyValueStoreConformanceOptions {
  /** Runs of the model-based property (each run gets a fresh store). Default 40. */
  readonly numRuns?: number;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const toText = (value: Uint8Array): string => new TextDecoder().decode(value);

async function collect(
  iterable: AsyncIterable<[Uint8Array, Uint8Array]>,
): Promise<[Uint8Array, Uint8Array][]> {
  const entries: [Uint8Array, Uint8Array][] = [];
  for await (const entry of iterable) entries.push(entry);
  return entries;
}

async function scanKeys(store: KeyValueStore, prefix: Uint8Array): Promise<Uint8Array[]> {
  return (await collect(store.scan(prefix))).map(([key]) => key);
}

/** Resolves when `action` rejects with a ShoalError `CLOSED`; fails the test otherwise. */
async function expectClosed(action: () => Promise<unknown>): Promise<void> {
  let error: unknown;
  try {
    await action();
  } catch (caught) {
    error = caught;
  }
  expect(isShoalError(error, ErrorCode.Closed), `expected ShoalError CLOSED, got ${String(error)}`).toBe(
    true,
  );
}

/** A plain Map-backed model of the port's semantics: the property's oracle. */
class ModelStore {
  readonly #entries = new Map<string, [Uint8Array, Uint8Array]>();

  apply(operation: BatchOperation): void {
    if (operation.type === 'put') {
      this.#entries.set(toHex(operation.key), [operation.key.slice(), operation.value.slice()]);
    } else {
      this.#entries.delete(toHex(operation.key));
    }
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.#entries.get(toHex(key))?.[1];
  }

  range(range: KeyRange): [Uint8Array, Uint8Array][] {
    const found = [...this.#entries.values()]
      .filter(([key]) => compareBytes(key, range.start) >= 0 && compareBytes(key, range.end) < 0)
      .sort(([a], [b]) => compareBytes(a, b));
    if (range.reverse === true) found.reverse();
    return found.slice(0, range.limit ?? found.length);
  }

  scan(prefix: Uint8Array): [Uint8Array, Uint8Array][] {
    return [...this.#entries.values()]
      .filter(([key]) => startsWith(key, prefix))
      .sort(([a], [b]) => compareBytes(a, b));
  }
}

type ModelCommand =
  | BatchOperation
  | { readonly type: 'batch'; readonly operations: readonly BatchOperation[] }
  | { readonly type: 'packed'; readonly operations: readonly BatchOperation[] }
  | { readonly type: 'scan'; readonly prefix: Uint8Array }
  | { readonly type: 'get'; readonly key: Uint8Array }
  | { readonly type: 'range'; readonly range: KeyRange };

// Few distinct bytes, short keys: collisions, overwrites and keys that prefix other keys are
// common, and the bytes straddle the signed/unsigned boundary (0x7f/0x80) and both extremes.
const keyArb = fc
  .array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff), { maxLength: 3 })
  .map((values) => Uint8Array.from(values));
const putArb = fc.record({
  type: fc.constant('put' as const),
  key: keyArb,
  value: fc.uint8Array({ maxLength: 6 }),
});
const deleteArb = fc.record({ type: fc.constant('delete' as const), key: keyArb });
const writeArb: fc.Arbitrary<BatchOperation> = fc.oneof(putArb, deleteArb);
const commandArb: fc.Arbitrary<ModelCommand> = fc.oneof(
  { arbitrary: putArb, weight: 4 },
  { arbitrary: deleteArb, weight: 2 },
  {
    arbitrary: fc.record({
      type: fc.constant('batch' as const),
      operations: fc.array(writeArb, { maxLength: 6 }),
    }),
    weight: 2,
  },
  {
    // batchPacked where the store has it (batch otherwise).
    arbitrary: fc.record({
      type: fc.constant('packed' as const),
      operations: fc.array(writeArb, { maxLength: 6 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ type: fc.constant('scan' as const), prefix: keyArb }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('get' as const), key: keyArb }), weight: 1 },
  {
    // scanSync (and getSync for its start) where the store has them.
    arbitrary: fc.record({
      type: fc.constant('range' as const),
      range: fc.record(
        { start: keyArb, end: keyArb, reverse: fc.boolean(), limit: fc.nat(4) },
        { requiredKeys: ['start', 'end'] },
      ),
    }),
    weight: 1,
  },
);

/** `operations` through {@link KeyValueStore.batchPacked}, or `batch` for a store without it. */
async function writePacked(store: KeyValueStore, operations: readonly BatchOperation[]): Promise<void> {
  if (store.batchPacked === undefined) await store.batch(operations);
  else await store.batchPacked(packBatch(operations));
}

/** Checks `scanSync` over `range` and `getSync` of its start against the model (stores with them). */
function expectSyncReads(store: KeyValueStore, model: ModelStore, range: KeyRange): void {
  if (store.scanSync === undefined || store.getSync === undefined) return;
  expect([...store.scanSync(range)]).toEqual(model.range(range));
  expect(store.getSync(range.start)).toEqual(model.get(range.start));
}

async function expectMatchesModel(
  store: KeyValueStore,
  model: ModelStore,
  prefix: Uint8Array,
): Promise<void> {
  expect(await collect(store.scan(prefix))).toEqual(model.scan(prefix));
}

/**
 * Registers a vitest suite checking that a {@link KeyValueStore} adapter keeps every guarantee
 * the port documents: reads and writes of binary keys and values (including empty ones),
 * atomic ordered batches, prefix scans in unsigned-byte order, copy isolation, close semantics
 * and, when the harness can reopen, persistence. A fast-check property then runs random
 * put/delete/batch sequences against a Map model, comparing gets and scans (and the reopened
 * store). Call it at the top level of an adapter's `test/conformance.test.ts`.
 */
export function describeKeyValueStoreConformance(
  name: string,
  setup: KeyValueStoreSetup,
  options: KeyValueStoreConformanceOptions = {},
): void {
  describe(`KeyValueStore conformance: ${name}`, () => {
    let harness: KeyValueStoreHarness;
    let store: KeyValueStore;

    beforeEach(async () => {
      harness = await setup();
      store = harness.store;
    });

    afterEach(async () => {
      await harness.teardown();
    });

    describe('get, put, delete', () => {
      it('returns undefined for a missing key', async () => {
        expect(await store.get(text('missing'))).toBeUndefined();
      });

      it('returns what was put, and the last value after an overwrite', async () => {
        await store.put(text('k'), bytes(1, 2, 3));
        expect(await store.get(text('k'))).toEqual(bytes(1, 2, 3));
        await store.put(text('k'), bytes(9));
        expect(await store.get(text('k'))).toEqual(bytes(9));
      });

      it('stores an empty value as present and empty, not as missing', async () => {
        await store.put(text('empty'), new Uint8Array(0));
        expect(await store.get(text('empty'))).toEqual(new Uint8Array(0));
        expect(await scanKeys(store, text('empty'))).toEqual([text('empty')]);
      });

      it('accepts the empty key as an ordinary key', async () => {
        await store.put(new Uint8Array(0), bytes(7));
        await store.put(bytes(0), bytes(8));
        expect(await store.get(new Uint8Array(0))).toEqual(bytes(7));
        expect(await scanKeys(store, new Uint8Array(0))).toEqual([new Uint8Array(0), bytes(0)]);
        await store.delete(new Uint8Array(0));
        expect(await store.get(new Uint8Array(0))).toBeUndefined();
        expect(await store.get(bytes(0))).toEqual(bytes(8));
      });

      it('keeps binary keys with 0x00 and 0xff bytes distinct', async () => {
        const keys = [bytes(0), bytes(0, 0), bytes(0xff), bytes(0xff, 0), bytes(0, 0xff), bytes(0xff, 0xff)];
        for (const [index, key] of keys.entries()) await store.put(key, bytes(index));
        for (const [index, key] of keys.entries()) expect(await store.get(key)).toEqual(bytes(index));
      });

      it('round-trips a 64 KiB value with every byte value', async () => {
        const value = Uint8Array.from({ length: 65_536 }, (_, index) => (index * 31) & 0xff);
        await store.put(text('large'), value);
        expect(await store.get(text('large'))).toEqual(value);
      });

      it('deletes a key, leaves its neighbours, and treats deleting a missing key as a no-op', async () => {
        await store.put(bytes(1), bytes(1));
        await store.put(bytes(1, 0), bytes(2));
        await store.delete(bytes(1));
        await store.delete(text('never-written'));
        expect(await store.get(bytes(1))).toBeUndefined();
        expect(await store.get(bytes(1, 0))).toEqual(bytes(2));
      });
    });

    describe('batch', () => {
      it('applies every operation', async () => {
        await store.put(text('old'), bytes(0));
        await store.batch([
          { type: 'put', key: text('a'), value: bytes(1) },
          { type: 'put', key: text('b'), value: bytes(2) },
          { type: 'delete', key: text('old') },
        ]);
        expect(await collect(store.scan(new Uint8Array(0)))).toEqual([
          [text('a'), bytes(1)],
          [text('b'), bytes(2)],
        ]);
      });

      it('applies operations in order: put then delete of one key leaves it absent', async () => {
        await store.batch([
          { type: 'put', key: text('k'), value: bytes(1) },
          { type: 'delete', key: text('k') },
        ]);
        expect(await store.get(text('k'))).toBeUndefined();
      });

      it('applies operations in order: delete then put, and the last put wins', async () => {
        await store.put(text('k'), bytes(0));
        await store.batch([
          { type: 'delete', key: text('k') },
          { type: 'put', key: text('k'), value: bytes(1) },
          { type: 'put', key: text('k'), value: bytes(2) },
        ]);
        expect(await store.get(text('k'))).toEqual(bytes(2));
      });

      it('accepts an empty batch', async () => {
        await store.batch([]);
        expect(await scanKeys(store, new Uint8Array(0))).toEqual([]);
      });
    });

    describe('batchPacked (when the store has it)', () => {
      it('applies every operation, in order, from ranges of one buffer', async (context) => {
        if (store.batchPacked === undefined) return context.skip();
        await store.put(text('old'), bytes(0));
        await store.batchPacked(
          packBatch([
            { type: 'put', key: text('a'), value: bytes(1) },
            { type: 'put', key: text('b'), value: new Uint8Array(0) },
            { type: 'delete', key: text('old') },
            { type: 'put', key: text('k'), value: bytes(1) },
            { type: 'delete', key: text('k') },
            { type: 'put', key: text('c'), value: bytes(3) },
            { type: 'put', key: text('c'), value: bytes(4) },
          ]),
        );
        expect(await collect(store.scan(new Uint8Array(0)))).toEqual([
          [text('a'), bytes(1)],
          [text('b'), new Uint8Array(0)],
          [text('c'), bytes(4)],
        ]);
      });

      it('reads only the first count operations, at their offsets (not from the buffer start)', async (context) => {
        if (store.batchPacked === undefined) return context.skip();
        // Bytes before the first key and after the last value, and offsets beyond count.
        const batch: PackedBatch = {
          count: 2,
          bytes: Uint8Array.from([9, 9, 0x61, 1, 2, 0x62, 9, 9]),
          offsets: Int32Array.from([2, 3, 5, 5, 6, -1, 6, 7, 8]),
        };
        await store.put(text('b'), bytes(0));
        await store.batchPacked(batch);
        expect(await collect(store.scan(new Uint8Array(0)))).toEqual([[text('a'), bytes(1, 2)]]);
      });

      it('accepts an empty batch', async (context) => {
        if (store.batchPacked === undefined) return context.skip();
        await store.batchPacked(packBatch([]));
        expect(await scanKeys(store, new Uint8Array(0))).toEqual([]);
      });

      it('keeps copies: the caller may reuse the buffer once the batch resolved', async (context) => {
        if (store.batchPacked === undefined) return context.skip();
        const batch = packBatch([{ type: 'put', key: text('k'), value: bytes(1, 2) }]);
        await store.batchPacked(batch);
        batch.bytes.fill(0);
        expect(await store.get(text('k'))).toEqual(bytes(1, 2));
      });

      it('rejects with ShoalError CLOSED after close', async (context) => {
        if (store.batchPacked === undefined) return context.skip();
        await store.close();
        await expectClosed(() => store.batchPacked?.(packBatch([])) ?? Promise.resolve());
      });
    });

    describe('getSync and scanSync (when the store has them)', () => {
      it('come together or not at all', () => {
        expect(store.getSync === undefined).toBe(store.scanSync === undefined);
      });

      it('read what resolved writes wrote, in range order both ways, up to a limit', async (context) => {
        if (store.getSync === undefined || store.scanSync === undefined) return context.skip();
        await store.batch(
          ['a', 'b', 'c', 'd'].map((key) => ({ type: 'put', key: text(key), value: text(key) })),
        );
        expect(store.getSync(text('b'))).toEqual(text('b'));
        expect(store.getSync(text('e'))).toBeUndefined();
        const keys = (range: KeyRange) => [...(store.scanSync?.(range) ?? [])].map(([key]) => toText(key));
        expect(keys({ start: text('b'), end: text('d') })).toEqual(['b', 'c']);
        expect(keys({ start: text('b'), end: text('d'), reverse: true })).toEqual(['c', 'b']);
        expect(keys({ start: text(''), end: text('z'), reverse: true, limit: 1 })).toEqual(['d']);
        expect(keys({ start: text('a'), end: text('z'), limit: 2 })).toEqual(['a', 'b']);
      });
    });

    describe('scan', () => {
      it('yields keys in unsigned byte order, shorter prefix first', async () => {
        const sorted = [
          bytes(0),
          bytes(0, 0),
          bytes(1),
          bytes(0x7f),
          bytes(0x80),
          bytes(0x80, 0),
          bytes(0xff),
        ];
        for (const key of [...sorted].reverse()) await store.put(key, key);
        expect(await collect(store.scan(new Uint8Array(0)))).toEqual(sorted.map((key) => [key, key]));
      });

      it('distinguishes keys that differ only in their high bytes', async () => {
        const keys = [bytes(1, 0x7f), bytes(1, 0x80), bytes(1, 0xfe), bytes(1, 0xff)];
        for (const key of [...keys].reverse()) await store.put(key, bytes(1));
        expect(await scanKeys(store, bytes(1))).toEqual(keys);
        expect(await scanKeys(store, bytes(1, 0x80))).toEqual([bytes(1, 0x80)]);
      });

      it('includes the prefix itself and its extensions, and nothing else', async () => {
        for (const key of [bytes(1), bytes(1, 2), bytes(1, 2, 0), bytes(1, 2, 0xff), bytes(1, 3), bytes(2)]) {
          await store.put(key, bytes(0));
        }
        expect(await scanKeys(store, bytes(1, 2))).toEqual([bytes(1, 2), bytes(1, 2, 0), bytes(1, 2, 0xff)]);
        expect(await scanKeys(store, bytes(9))).toEqual([]);
      });

      it('handles prefixes made of 0xff bytes (no byte-successor exists)', async () => {
        for (const key of [
          bytes(0xfe, 0xff),
          bytes(0xff),
          bytes(0xff, 0xfe),
          bytes(0xff, 0xff),
          bytes(0xff, 0xff, 0),
        ]) {
          await store.put(key, bytes(0));
        }
        expect(await scanKeys(store, bytes(0xff, 0xff))).toEqual([bytes(0xff, 0xff), bytes(0xff, 0xff, 0)]);
        expect(await scanKeys(store, bytes(0xff))).toEqual([
          bytes(0xff),
          bytes(0xff, 0xfe),
          bytes(0xff, 0xff),
          bytes(0xff, 0xff, 0),
        ]);
      });

      it('scans everything for the empty prefix, and nothing in an empty store', async () => {
        expect(await scanKeys(store, new Uint8Array(0))).toEqual([]);
        await store.put(text('x'), bytes(1));
        await store.put(bytes(0xff, 0xff, 0xff), bytes(2));
        expect(await scanKeys(store, new Uint8Array(0))).toEqual([text('x'), bytes(0xff, 0xff, 0xff)]);
      });

      it('survives writes made while a scan is iterating', async () => {
        for (const index of [2, 4, 6, 8]) await store.put(bytes(5, index), bytes(index));
        const seen: Uint8Array[] = [];
        for await (const [key] of store.scan(bytes(5))) {
          seen.push(key);
          if (seen.length === 1) {
            await store.put(bytes(5, 1), bytes(1));
            await store.put(bytes(5, 7), bytes(7));
            await store.delete(bytes(5, 4));
          }
        }
        for (let index = 1; index < seen.length; index++) {
          expect(compareBytes(seen[index - 1]!, seen[index]!)).toBeLessThan(0);
        }
        expect(seen).toEqual(expect.arrayContaining([bytes(5, 2), bytes(5, 6), bytes(5, 8)]));
      });
    });

    describe('isolation', () => {
      it('copies keys and values passed to put, even before the write resolves', async () => {
        const key = text('key');
        const value = bytes(1, 2, 3);
        const written = store.put(key, value);
        key.fill(0);
        value.fill(0);
        await written;
        expect(await store.get(text('key'))).toEqual(bytes(1, 2, 3));
        expect(await store.get(key)).toBeUndefined();
      });

      it('copies operations passed to batch, even before the batch resolves', async () => {
        const value = bytes(1);
        const operations: BatchOperation[] = [{ type: 'put', key: text('a'), value }];
        const written = store.batch(operations);
        value.fill(9);
        operations.push({ type: 'delete', key: text('a') });
        await written;
        expect(await store.get(text('a'))).toEqual(bytes(1));
      });

      it('returns copies from get and scan that the caller may mutate', async () => {
        await store.put(text('k'), bytes(1, 2));
        const got = await store.get(text('k'));
        got?.fill(0);
        for await (const [key, value] of store.scan(text('k'))) {
          key.fill(0);
          value.fill(0);
        }
        expect(await collect(store.scan(new Uint8Array(0)))).toEqual([[text('k'), bytes(1, 2)]]);
      });
    });

    describe('close', () => {
      it('rejects every call after close with ShoalError CLOSED, and close is idempotent', async () => {
        await store.put(text('k'), bytes(1));
        await store.close();
        await expectClosed(() => store.get(text('k')));
        await expectClosed(() => store.put(text('k'), bytes(2)));
        await expectClosed(() => store.delete(text('k')));
        await expectClosed(() => store.batch([{ type: 'put', key: text('k'), value: bytes(2) }]));
        await expectClosed(() => collect(store.scan(new Uint8Array(0))));
        await store.close();
      });
    });

    describe('persistence', () => {
      it('keeps every resolved write across close and reopen', async (context) => {
        if (harness.reopen === undefined) return context.skip();
        await store.put(text('single'), bytes(1));
        await store.put(text('gone'), bytes(2));
        await store.delete(text('gone'));
        await store.batch([
          { type: 'put', key: bytes(0xff, 0), value: new Uint8Array(0) },
          { type: 'put', key: new Uint8Array(0), value: bytes(3) },
        ]);
        await store.close();
        const reopened = await harness.reopen();
        expect(await collect(reopened.scan(new Uint8Array(0)))).toEqual([
          [new Uint8Array(0), bytes(3)],
          [text('single'), bytes(1)],
          [bytes(0xff, 0), new Uint8Array(0)],
        ]);
        await reopened.put(text('after'), bytes(4));
        expect(await reopened.get(text('after'))).toEqual(bytes(4));
      });
    });

    describe('model', () => {
      it('behaves like a Map under random put/delete/batch sequences, scans included', async () => {
        // Each run needs its own empty store, so runs do not reuse the beforeEach harness.
        await fc.assert(
          fc.asyncProperty(fc.array(commandArb, { maxLength: 25 }), async (commands) => {
            const run = await setup();
            try {
              let current = run.store;
              const model = new ModelStore();
              for (const command of commands) {
                if (command.type === 'put') await current.put(command.key, command.value);
                else if (command.type === 'delete') await current.delete(command.key);
                else if (command.type === 'batch') await current.batch(command.operations);
                else if (command.type === 'packed') await writePacked(current, command.operations);
                else if (command.type === 'get')
                  expect(await current.get(command.key)).toEqual(model.get(command.key));
                else if (command.type === 'range') expectSyncReads(current, model, command.range);
                else await expectMatchesModel(current, model, command.prefix);
                if (command.type === 'batch' || command.type === 'packed')
                  for (const operation of command.operations) model.apply(operation);
                else if (command.type === 'put' || command.type === 'delete') model.apply(command);
              }
              await expectMatchesModel(current, model, new Uint8Array(0));
              if (run.reopen !== undefined) {
                await current.close();
                current = await run.reopen();
                await expectMatchesModel(current, model, new Uint8Array(0));
              }
            } finally {
              await run.teardown();
            }
          }),
          { numRuns: options.numRuns ?? 40 },
        );
      });
    });
  });
}
