import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../codec/encode-value.js';
import type { NodeId } from '../ids/node-id.js';
import { writeNodeId } from '../protocol/node-id-codec.js';
import { valueArb } from '../test-support/crdt-arbitraries.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { BatchBuffer, unpackBatch } from './batch-buffer.js';
import { putMapEntry, putStreamEntry, putStreamProof } from './entry-puts.js';
import { decodeMapRecord, decodeStreamProofRecord, decodeStreamRecord } from './records.js';
import { MapEntryKeys, mapEntryKey, RecordKind, StreamEntryKeys, streamEntryKey } from './storage-keys.js';

// Names and keys with multi-byte UTF-8, which a string's length does not size.
const nameArb = fc.string({ unit: 'binary', maxLength: 40 });
// Lone surrogates too: they are written as U+FFFD (so read back changed), as the wire writer does.
const rawNameArb = fc.oneof(
  nameArb,
  fc.tuple(nameArb, fc.constantFrom('\uD800', '\uDFFF', '\uD83D\uDE00')).map(([name, odd]) => name + odd),
);
const writerArb = fc.oneof(
  fc.constantFrom('a', 'node-7'),
  fc.stringMatching(/^[0-9a-f]{32}$/),
) as fc.Arbitrary<NodeId>;
const stampArb = fc.record({
  wall: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  counter: fc.integer({ min: 0, max: 0xffff }),
});
const seqArb = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const changeSeqArb = fc.nat();

/** The layout every persisted record was written in, built with the wire writer: the reference. */
function referenceKey(kind: number, ...parts: string[]): ByteWriter {
  const writer = new ByteWriter().writeU8(kind);
  for (const part of parts) writer.writeString(part);
  return writer;
}

describe('persisted records', () => {
  it('map entry keys keep the layout already on disk, from any builder', () => {
    fc.assert(
      fc.property(
        nameArb,
        nameArb,
        fc.array(nameArb, { minLength: 1, maxLength: 5 }),
        (channel, map, keys) => {
          const builder = new MapEntryKeys(channel, map);
          for (const key of keys) {
            const expected = referenceKey(RecordKind.MapEntry, channel, map, key).finish();
            expect(builder.key(key)).toEqual(expected);
            expect(mapEntryKey(channel, map, key)).toEqual(expected);
          }
        },
      ),
      fcParams(),
    );
  });

  it('stream entry keys keep the layout already on disk, whatever the order of authors', () => {
    fc.assert(
      fc.property(
        rawNameArb,
        rawNameArb,
        fc.array(fc.tuple(writerArb, seqArb), { minLength: 1, maxLength: 8 }),
        (channel, stream, entries) => {
          const builder = new StreamEntryKeys(channel, stream);
          for (const [author, seq] of entries) {
            const expected = referenceKey(RecordKind.StreamEntry, channel, stream, author)
              .writeU32(Math.floor(seq / 0x1_0000_0000))
              .writeU32(seq % 0x1_0000_0000)
              .finish();
            expect(builder.key(author, seq)).toEqual(expected);
            expect(streamEntryKey(channel, stream, author, seq)).toEqual(expected);
          }
        },
      ),
      fcParams(),
    );
  });

  it('a map record round-trips, and keeps the layout already on disk', () => {
    fc.assert(
      fc.property(
        nameArb,
        nameArb,
        nameArb,
        stampArb,
        writerArb,
        changeSeqArb,
        fc.option(valueArb, { nil: undefined }),
        (channel, map, key, stamp, writer, changeSeq, value) => {
          const valueBytes = value === undefined ? undefined : encodeValue(value);
          // After another record: an operation's bytes start wherever the batch is.
          const batch = new BatchBuffer();
          batch.add({ type: 'delete', key: mapEntryKey(channel, map, 'x') });
          // The value read where it lies in a larger buffer, as a merge reads it from a message.
          const source = Uint8Array.from([9, ...(valueBytes ?? []), 9]);
          const entry = { key, ...stamp, writer, value };
          const keys = new MapEntryKeys(channel, map);
          const end = 1 + (valueBytes?.length ?? 0);
          putMapEntry(batch, keys, entry, changeSeq, valueBytes && source, 1, end);
          const [, put] = unpackBatch(batch);
          if (put?.type !== 'put') throw new Error('expected a put');
          expect(put.key).toEqual(mapEntryKey(channel, map, key));
          const record = put.value;
          const reference = new ByteWriter().writeVarint(stamp.wall).writeVarint(stamp.counter);
          writeNodeId(reference, writer);
          reference.writeVarint(changeSeq).writeU8(valueBytes === undefined ? 1 : 0);
          if (valueBytes !== undefined) reference.writeRaw(valueBytes);
          expect(record).toEqual(reference.finish());
          const decoded = decodeMapRecord(mapEntryKey(channel, map, key), record);
          // The value's encoding is the record's tail: where it starts is where its digest reads it.
          const valueStart = valueBytes === undefined ? -1 : record.length - valueBytes.length;
          expect(decoded).toEqual({
            ok: true,
            value: { channel, map, key, ...stamp, writer, changeSeq, value, valueStart },
          });
        },
      ),
      fcParams(),
    );
  });

  it('a stream record round-trips, and keeps the layout already on disk', () => {
    fc.assert(
      fc.property(
        nameArb,
        nameArb,
        writerArb,
        seqArb,
        stampArb,
        changeSeqArb,
        fc.uint8Array({ maxLength: 300 }),
        (channel, stream, author, seq, stamp, changeSeq, payload) => {
          const batch = new BatchBuffer();
          batch.add({ type: 'put', key: streamEntryKey(channel, stream, author, 0), value: payload });
          const keys = new StreamEntryKeys(channel, stream);
          putStreamEntry(batch, keys, { ...stamp, author, seq, payload }, changeSeq);
          const [, put] = unpackBatch(batch);
          if (put?.type !== 'put') throw new Error('expected a put');
          expect(put.key).toEqual(streamEntryKey(channel, stream, author, seq));
          const record = put.value;
          const reference = new ByteWriter()
            .writeVarint(stamp.wall)
            .writeVarint(stamp.counter)
            .writeVarint(changeSeq)
            .writeRaw(payload);
          expect(record).toEqual(reference.finish());
          const decoded = decodeStreamRecord(streamEntryKey(channel, stream, author, seq), record);
          expect(decoded).toEqual({
            ok: true,
            value: { channel, stream, author, seq, ...stamp, changeSeq, payload },
          });
        },
      ),
      fcParams(),
    );
  });

  it('stores a stream proof beside its entry and reads it back; any other length is refused', () => {
    fc.assert(
      fc.property(
        nameArb,
        nameArb,
        writerArb,
        seqArb,
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 120 }),
        (channel, stream, author, seq, signature, publicKey, other) => {
          const batch = new BatchBuffer();
          putStreamProof(
            batch,
            new StreamEntryKeys(channel, stream, RecordKind.StreamProof),
            { author, seq },
            {
              signature,
              publicKey,
            },
          );
          const [put] = unpackBatch(batch);
          if (put?.type !== 'put') throw new Error('expected a put');
          // The entry's key, under the proof's record kind.
          const entryKey = streamEntryKey(channel, stream, author, seq);
          expect(put.key).toEqual(Uint8Array.of(RecordKind.StreamProof, ...entryKey.subarray(1)));
          expect(decodeStreamProofRecord(put.key, put.value)).toEqual({
            ok: true,
            value: { stream, author, seq, proof: { signature, publicKey } },
          });
          if (other.length !== 96) expect(decodeStreamProofRecord(put.key, other).ok).toBe(false);
        },
      ),
      fcParams(),
    );
  });
});
