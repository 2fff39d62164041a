import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packBatch } from '../persistence/batch-buffer.js';
import type { BatchOperation } from '../ports/key-value-store.js';
import { arbitraryPackedBatch } from '../test-support/packed-batch-arbitraries.js';
import { ByteTable, RECORD_INTS } from './byte-table.js';

/** Short keys over few byte values: many collisions, overwrites and deletes of held keys. */
const key = fc.uint8Array({ minLength: 0, maxLength: 4, max: 3 }).map((bytes) => bytes.map((b) => b * 85));
const value = fc.uint8Array({ maxLength: 40 });
const operation: fc.Arbitrary<BatchOperation> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key, value }),
  fc.record({ type: fc.constant('delete' as const), key }),
);
/** A step: one put or delete, or a packed batch of several. */
const step = fc.oneof(
  operation.map((one) => [one]),
  fc.array(operation, { minLength: 1, maxLength: 20 }).map((many) => ({ many })),
);

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Sorts hex keys as their bytes sort unsigned (hex digits of equal-width bytes do). */
const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('ByteTable', () => {
  it('holds what a Map model holds, in unsigned byte order, across growth and compaction', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const table = new ByteTable();
        const model = new Map<string, Uint8Array>();
        const snapshots: Array<[ReturnType<ByteTable['sorted']>, Array<[string, string]>]> = [];
        const apply = (op: BatchOperation) => {
          if (op.type === 'put') model.set(hex(op.key), op.value.slice());
          else model.delete(hex(op.key));
        };
        for (const s of steps) {
          if (Array.isArray(s)) {
            for (const op of s) {
              if (op.type === 'put') table.put(op.key, op.value);
              else expect(table.delete(op.key)).toBe(model.has(hex(op.key)));
              apply(op);
            }
          } else {
            table.putPacked(packBatch(s.many));
            for (const op of s.many) apply(op);
          }
          const expected = [...model]
            .map(([k, v]) => [k, hex(v)] as [string, string])
            .sort(([a], [b]) => byBytes(a, b));
          snapshots.push([table.sorted(), expected]);
        }
        expect(table.size).toBe(model.size);
        let bytes = 0;
        for (const [k, v] of model) {
          bytes += k.length / 2 + v.length;
          expect(table.get(Buffer.from(k, 'hex'))).toEqual(v);
        }
        expect(table.bytes).toBe(bytes);
        // Every snapshot still reads what it saw, whatever was written after it.
        for (const [{ arena, records }, expected] of snapshots) {
          const seen: Array<[string, string]> = [];
          for (let at = 0; at < records.length; at += RECORD_INTS) {
            seen.push([
              hex(arena.subarray(records[at], records[at + 1])),
              hex(arena.subarray(records[at + 1], records[at + 2])),
            ]);
          }
          expect(seen).toEqual(expected);
        }
      }),
      fcParams(),
    );
  });

  it('refuses a packed batch with offsets out of order or bounds, changing nothing', () => {
    fc.assert(
      fc.property(arbitraryPackedBatch, (batch) => {
        const table = new ByteTable();
        table.put(new Uint8Array([9]), new Uint8Array([1]));
        try {
          table.putPacked(batch);
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
          expect(table.size).toBe(1);
          expect(table.get(new Uint8Array([9]))).toEqual(new Uint8Array([1]));
        }
      }),
      fcParams(),
    );
  });
});
