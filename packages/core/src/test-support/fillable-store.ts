import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { BatchOperation, PackedBatch } from '../ports/key-value-store.js';
import { MemoryStore } from '../storage/memory-store.js';

/** A memory store whose batches fail with STORAGE_FULL while `full` is set (a full disk). */
export class FillableStore extends MemoryStore {
  full = false;

  override async batch(operations: readonly BatchOperation[]): Promise<void> {
    if (this.full) throw new ShoalError(ErrorCode.StorageFull, 'no space left on device');
    return super.batch(operations);
  }

  override async batchPacked(batch: PackedBatch): Promise<void> {
    if (this.full) throw new ShoalError(ErrorCode.StorageFull, 'no space left on device');
    return super.batchPacked(batch);
  }
}
