import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchOperation } from '../ports/key-value-store.js';
import { arbitraryPackedBatch } from '../test-support/packed-batch-arbitraries.js';
import { BatchBuffer, packBatch, unpackBatch } from './batch-buffer.js';

const bytesArb = fc.uint8Array({ maxLength: 40 });
const operationArb: fc.Arbitrary<BatchOperation> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: bytesArb, value: bytesArb }),
  fc.record({ type: fc.constant('delete' as const), key: bytesArb }),
);
const operationsArb = fc.array(operationArb, { maxLength: 150 });

describe('BatchBuffer (property)', () => {
  it('unpacks to the operations packed, in order', () => {
    fc.assert(
      fc.property(operationsArb, (operations) => {
        expect(unpackBatch(packBatch(operations))).toEqual(operations);
      }),
      fcParams(),
    );
  });

  it('truncate keeps a prefix, and the buffer goes on from there', () => {
    fc.assert(
      fc.property(operationsArb, fc.nat(), operationsArb, (operations, cut, more) => {
        const batch = new BatchBuffer();
        for (const operation of operations) batch.add(operation);
        const kept = cut % (operations.length + 1);
        batch.truncate(kept);
        for (const operation of more) batch.add(operation);
        expect(unpackBatch(batch)).toEqual([...operations.slice(0, kept), ...more]);
      }),
      fcParams(),
    );
  });

  it('addAll appends copies of another batch', () => {
    fc.assert(
      fc.property(operationsArb, operationsArb, (first, second) => {
        const batch = new BatchBuffer();
        for (const operation of first) batch.add(operation);
        const other = packBatch(second);
        batch.addAll(other);
        expect(unpackBatch(batch)).toEqual([...first, ...second]);
        other.bytes.fill(7);
        expect(unpackBatch(batch)).toEqual([...first, ...second]);
      }),
      fcParams(),
    );
  });

  it('unpacking arbitrary offsets either throws a RangeError or yields in-bounds, in-order views', () => {
    fc.assert(
      fc.property(arbitraryPackedBatch, (batch) => {
        const { bytes, count } = batch;
        let operations: BatchOperation[];
        try {
          operations = unpackBatch(batch);
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
          return;
        }
        expect(operations).toHaveLength(count);
        let end = 0;
        for (const operation of operations) {
          const start = operation.key.byteOffset;
          expect(start).toBeGreaterThanOrEqual(end);
          end = start + operation.key.length;
          if (operation.type === 'put') {
            expect(operation.value.byteOffset).toBe(end);
            end += operation.value.length;
          }
          expect(end).toBeLessThanOrEqual(bytes.length);
        }
      }),
      fcParams(),
    );
  });
});
