import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import type { NodeId } from '../ids/node-id.js';
import type { ByteReader } from '../wire/byte-reader.js';
import type { ByteWriter } from '../wire/byte-writer.js';
import { readMapClock, writeMapClock } from './map-clock-codec.js';
import { type MessagePeers, readPeerNodeId, writePeerNodeId } from './node-id-codec.js';
import { readStreamClock, writeStreamClock } from './stream-clock-codec.js';
import type {
  BucketClocks,
  DigestSummary,
  MapClock,
  ObjectKind,
  StreamClock,
  SummaryAnswer,
} from './sync-messages.js';

/** Bytes of a set hash (a summary's, an answer's base and its own). */
const HASH_BYTES = 8;
/** Bytes of one bucket fingerprint. */
export const FINGERPRINT_BYTES = 4;
/** Most bucket bits a summary or answer may use (4096 buckets, 16 KiB: more than a message). */
export const MAX_SUMMARY_BITS = 12;
/** An answer object's bits byte for "I do not hold this object". */
const NOT_HELD = 0xff;
const KIND_MAP = 1;
const KIND_STREAM = 2;

/**
 * Writes a summary's body: `hash:raw[8] count:varint s-object*`, where
 * `s-object = kind name:string bits:u8 fingerprint:raw[4]×2^bits` (docs/protocol.md §6.2).
 */
export function writeSummary(writer: ByteWriter, summary: DigestSummary): void {
  writer.writeRaw(summary.hash.subarray(0, HASH_BYTES)).writeVarint(summary.objects.length);
  for (const object of summary.objects) {
    writeKind(writer, object.kind).writeString(object.name).writeU8(object.bits);
    writer.writeRaw(object.fingerprints);
  }
}

/** Reads what {@link writeSummary} wrote; fails (never over-allocates) on anything else. */
export function readSummary(reader: ByteReader): DigestSummary {
  const hash = reader.readRaw(HASH_BYTES).slice();
  const count = reader.readBoundedVarint(reader.remaining);
  const objects: DigestSummary['objects'][number][] = [];
  for (let i = 0; i < count; i++) {
    const kind = readKind(reader);
    const name = reader.readString(MAX_NAME_BYTES);
    const bits = reader.readU8();
    if (bits > MAX_SUMMARY_BITS) reader.fail('too many summary buckets');
    objects.push({ kind, name, bits, fingerprints: reader.readRaw(FINGERPRINT_BYTES << bits).slice() });
  }
  return { hash, objects };
}

/**
 * Writes an answer's body: `base:raw[8] hash:raw[8] count:varint a-object*`, where
 * `a-object = kind name:string bits:u8 (%xFF | bucket-count:varint bucket:varint* count:varint
 * (peer-id clock)*)` (docs/protocol.md §6.2).
 */
export function writeAnswer(
  writer: ByteWriter,
  answer: SummaryAnswer,
  peers: MessagePeers | undefined,
): void {
  writer.writeRaw(answer.base.subarray(0, HASH_BYTES)).writeRaw(answer.hash.subarray(0, HASH_BYTES));
  writer.writeVarint(answer.objects.length);
  for (const object of answer.objects) {
    writeKind(writer, object.kind).writeString(object.name);
    if (!object.held) {
      writer.writeU8(NOT_HELD);
      continue;
    }
    writer.writeU8(object.bits).writeVarint(object.buckets.length);
    for (const bucket of object.buckets) writer.writeVarint(bucket);
    writer.writeVarint(object.clocks.length);
    for (const [id, clock] of object.clocks) {
      writePeerNodeId(writer, id, peers);
      if ('seq' in clock) writeStreamClock(writer, clock);
      else writeMapClock(writer, clock);
    }
  }
}

/**
 * Reads what {@link writeAnswer} wrote; fails on unknown bits, buckets out of range or not
 * strictly ascending, and every count beyond the bytes left.
 */
export function readAnswer(reader: ByteReader, peers: MessagePeers | undefined): SummaryAnswer {
  const base = reader.readRaw(HASH_BYTES).slice();
  const hash = reader.readRaw(HASH_BYTES).slice();
  const count = reader.readBoundedVarint(reader.remaining);
  const objects: BucketClocks[] = [];
  for (let i = 0; i < count; i++) {
    const kind = readKind(reader);
    const name = reader.readString(MAX_NAME_BYTES);
    const bits = reader.readU8();
    if (bits === NOT_HELD) {
      objects.push({ kind, name, held: false });
      continue;
    }
    if (bits > MAX_SUMMARY_BITS) reader.fail('too many summary buckets');
    const bucketCount = reader.readBoundedVarint(Math.min(reader.remaining, 1 << bits));
    const buckets: number[] = [];
    for (let j = 0; j < bucketCount; j++) {
      const bucket = reader.readBoundedVarint((1 << bits) - 1);
      if (j > 0 && bucket <= (buckets[j - 1] as number)) reader.fail('buckets not ascending');
      buckets.push(bucket);
    }
    const clockCount = reader.readBoundedVarint(reader.remaining);
    const clocks: [NodeId, MapClock | StreamClock][] = [];
    for (let j = 0; j < clockCount; j++) {
      const id = readPeerNodeId(reader, peers);
      clocks.push([id, kind === 'map' ? readMapClock(reader) : readStreamClock(reader)]);
    }
    objects.push({ kind, name, held: true, bits, buckets, clocks });
  }
  return { base, hash, objects };
}

function writeKind(writer: ByteWriter, kind: ObjectKind): ByteWriter {
  return writer.writeU8(kind === 'map' ? KIND_MAP : KIND_STREAM);
}

function readKind(reader: ByteReader): ObjectKind {
  const kind = reader.readU8();
  if (kind === KIND_MAP) return 'map';
  if (kind === KIND_STREAM) return 'stream';
  return reader.fail(`unknown object kind ${kind}`);
}
