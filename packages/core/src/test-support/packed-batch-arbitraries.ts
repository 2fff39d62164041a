import fc from 'fast-check';
import type { PackedBatch } from '../ports/key-value-store.js';

/**
 * Packed batches with arbitrary offsets and counts over short buffers: mostly malformed (out of
 * order, out of bounds, negative), sometimes well formed. For decoders that must refuse them.
 */
export const arbitraryPackedBatch: fc.Arbitrary<PackedBatch> = fc
  .tuple(
    fc.uint8Array({ maxLength: 64 }),
    fc.array(fc.integer({ min: -3, max: 70 }), { maxLength: 30 }),
    fc.integer({ min: -2, max: 12 }),
  )
  .map(([bytes, offsets, count]) => ({ bytes, offsets: Int32Array.from(offsets), count }));
