import type { Timestamp } from '../clock/timestamp.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { BatchBuffer } from './batch-buffer.js';
import { writeMapRecord, writeStreamRecord } from './records.js';
import type { MapEntryKeys, StreamEntryKeys } from './storage-keys.js';

/**
 * Appends the put of a map entry's record to `batch`: key and record are encoded in place,
 * `valueBytes` (the value encoded, `undefined` for a tombstone) copied after the version.
 */
export function putMapEntry(
  batch: BatchBuffer,
  keys: MapEntryKeys,
  entry: MapEntry,
  changeSeq: number,
  valueBytes: Uint8Array | undefined,
): void {
  batch.startKey();
  keys.write(batch, entry.key);
  batch.startValue();
  writeMapRecord(batch, entry, changeSeq, valueBytes);
  batch.endPut();
}

/** Appends the put of a stream entry's record to `batch`, encoded in place. */
export function putStreamEntry(
  batch: BatchBuffer,
  keys: StreamEntryKeys,
  entry: Timestamp & { readonly author: string; readonly seq: number; readonly payload: Uint8Array },
  changeSeq: number,
): void {
  batch.startKey();
  keys.write(batch, entry.author, entry.seq);
  batch.startValue();
  writeStreamRecord(batch, entry, changeSeq);
  batch.endPut();
}
