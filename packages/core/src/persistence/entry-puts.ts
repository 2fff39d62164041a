import type { Timestamp } from '../clock/timestamp.js';
import type { EntryProof } from '../crdt/event-log.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { BatchBuffer } from './batch-buffer.js';
import { mapRecordBound, streamRecordBound, writeMapRecordAt, writeStreamRecordAt } from './records.js';
import type { MapEntryKeys, StreamEntryKeys } from './storage-keys.js';

/**
 * Appends the put of a map entry's record to `batch`: key and record are encoded in place (room
 * reserved once), the encoded value (`value[start .. end)`, where a received message holds it;
 * no `value` for a tombstone) copied last.
 */
export function putMapEntry(
  batch: BatchBuffer,
  keys: MapEntryKeys,
  entry: MapEntry,
  changeSeq: number,
  value: Uint8Array | undefined,
  start: number,
  end: number,
): void {
  const at = batch.reserve(keys.bound(entry.key) + mapRecordBound(entry, end - start));
  const bytes = batch.bytes;
  const keyEnd = keys.writeAt(bytes, at, entry.key);
  batch.endPut(keyEnd, writeMapRecordAt(bytes, keyEnd, entry, changeSeq, value, start, end));
}

/** Appends the put of a stream entry's record to `batch`, encoded in place. */
export function putStreamEntry(
  batch: BatchBuffer,
  keys: StreamEntryKeys,
  entry: Timestamp & { readonly author: string; readonly seq: number; readonly payload: Uint8Array },
  changeSeq: number,
): void {
  const start = batch.reserve(keys.bound(entry.author) + streamRecordBound(entry.payload));
  const bytes = batch.bytes;
  const keyEnd = keys.writeAt(bytes, start, entry.author, entry.seq);
  batch.endPut(keyEnd, writeStreamRecordAt(bytes, keyEnd, entry, changeSeq));
}

/** Appends the put of a stream entry's proof (`keys` built for proofs): signature, then key. */
export function putStreamProof(
  batch: BatchBuffer,
  keys: StreamEntryKeys,
  entry: { readonly author: string; readonly seq: number },
  proof: EntryProof,
): void {
  const start = batch.reserve(keys.bound(entry.author) + proof.signature.length + proof.publicKey.length);
  const bytes = batch.bytes;
  const keyEnd = keys.writeAt(bytes, start, entry.author, entry.seq);
  bytes.set(proof.signature, keyEnd);
  bytes.set(proof.publicKey, keyEnd + proof.signature.length);
  batch.endPut(keyEnd, keyEnd + proof.signature.length + proof.publicKey.length);
}

/** Appends the delete of a stream entry's stored proof (`keys` built for proofs). */
export function deleteStreamProof(
  batch: BatchBuffer,
  keys: StreamEntryKeys,
  author: string,
  seq: number,
): void {
  const start = batch.reserve(keys.bound(author));
  batch.endDelete(keys.writeAt(batch.bytes, start, author, seq));
}
