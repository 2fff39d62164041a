import { compareTimestamps, MAX_COUNTER, MAX_WALL, type Timestamp } from '../clock/timestamp.js';
import { readTimestamp, writeTimestamp } from '../clock/timestamp-codec.js';
import { decodeValueRange } from '../codec/decode-value.js';
import type { StreamEntry } from '../crdt/event-log.js';
import { type MapEntry, mapEntry } from '../crdt/lww-map.js';
import type { Value } from '../crdt/value.js';
import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import type { NodeId } from '../ids/node-id.js';
import { SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES } from '../ports/signer.js';
import { type ByteReader, type DecodeResult, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { readAnswer, readSummary, writeAnswer, writeSummary } from './clock-summary-codec.js';
import { readMapClock, writeMapClock } from './map-clock-codec.js';
import { type MessagePeers, readPeerNodeId, writePeerNodeId } from './node-id-codec.js';
import { readStamp, stampCursor, unzigzag, writeStamp, zigzag } from './stamp-coding.js';
import { readStreamClock, writeStreamClock } from './stream-clock-codec.js';
import type {
  DeltaMessage,
  DigestMessage,
  MapClock,
  MapDelta,
  ObjectDelta,
  ObjectDigest,
  RangeClaim,
  StreamClock,
  StreamDelta,
} from './sync-messages.js';

/** Largest map key accepted from the wire, in UTF-8 bytes (the local write limit is lower or equal). */
export const MAX_WIRE_KEY_BYTES = 4096;

/** Range bounds are object ids (`m:` + a name, maybe + NUL) or NodeIds. */
const MAX_RANGE_BOUND_BYTES = MAX_NAME_BYTES + 3;
const KIND_MAP = 1;
const KIND_STREAM = 2;
const DIGEST_REPLY = 1;
const DIGEST_FRESH = 2;
const DIGEST_BASE = 4;
const DIGEST_ATTACHED = 8;
const DIGEST_SUMMARY = 16;
const DIGEST_ANSWER = 32;
const BASE_BYTES = 8;
const DELTA_PUSH = 1;
const DELTA_FINAL = 2;
const DELTA_FRESH = 4;
const DELTA_UNKNOWN_BASE = 8;
/** No objects follow (an empty final answer, the usual end of an exchange): no counts written. */
const DELTA_EMPTY = 16;
const ENTRY_TOMBSTONE = 1;

/**
 * A map entry whose value is already encoded: the delta encoder writes `valueBytes` as is, so a
 * value is encoded once however many chunks and peers it goes to.
 */
export interface EncodedMapEntry {
  readonly entry: MapEntry;
  readonly valueBytes: Uint8Array | undefined;
}

/** One object's entries ready to encode: like {@link ObjectDelta} with map values pre-encoded. */
export type OutgoingObject =
  | {
      readonly kind: 'map';
      readonly name: string;
      readonly claims: readonly RangeClaim[];
      readonly entries: readonly EncodedMapEntry[];
    }
  | StreamDelta;

/** A delta ready to encode: like {@link DeltaMessage} with map values pre-encoded. */
export interface OutgoingDelta {
  readonly channel: string;
  readonly push: boolean;
  readonly final: boolean;
  readonly fresh: boolean;
  readonly unknownBase?: boolean;
  readonly objects: readonly OutgoingObject[];
}

/**
 * Encodes a digest body (after the message type byte) from `peers.sender` to `peers.receiver`.
 * `attached` entries, when any, travel in the same message, before the digest is acted on: a
 * node opening a round sends what it believes the peer lacks along with its clocks, so a
 * reconnect after a few changes costs one round trip. A relative digest (one with a `base`)
 * writes no scope or writer ranges: they are whole by definition. A summary or an answer to one
 * (ADR 0047) writes its own body in place of scope and objects.
 */
export function encodeDigest(
  message: DigestMessage,
  peers: MessagePeers | undefined,
  attached: readonly OutgoingObject[] = [],
): Uint8Array {
  const writer = new ByteWriter(256);
  const relative = message.base !== undefined;
  const flags =
    (message.reply ? DIGEST_REPLY : 0) |
    (message.fresh ? DIGEST_FRESH : 0) |
    (relative ? DIGEST_BASE : 0) |
    (attached.length > 0 ? DIGEST_ATTACHED : 0) |
    (message.summary !== undefined ? DIGEST_SUMMARY : 0) |
    (message.answer !== undefined ? DIGEST_ANSWER : 0);
  writer.writeU8(flags).writeString(message.channel);
  if (message.summary !== undefined) writeSummary(writer, message.summary);
  else if (message.answer !== undefined) writeAnswer(writer, message.answer, peers);
  else if (message.base !== undefined) writer.writeRaw(message.base.subarray(0, BASE_BYTES));
  else writeRange(writer, message.scopeFrom, message.scopeTo);
  if (message.summary === undefined && message.answer === undefined)
    writeDigestObjects(writer, message, peers);
  if (attached.length > 0) writeDeltaObjects(writer, attached, peers, digestClocks(message.objects));
  return writer.finish();
}

/**
 * The map clocks a digest lists, by object name and writer: an attached claim ending at one of
 * them is written against it (docs/protocol.md §6.2), a few bytes instead of two timestamps.
 */
type DigestClocks = ReadonlyMap<string, Timestamp>;

function digestClocks(objects: readonly ObjectDigest[]): DigestClocks {
  const clocks = new Map<string, Timestamp>();
  for (const object of objects) {
    if (object.kind !== 'map') continue;
    for (const [writer, clock] of object.clocks) clocks.set(clockKey(object.name, writer), clock as MapClock);
  }
  return clocks;
}

function clockKey(object: string, writer: NodeId): string {
  return `${object}\u0000${writer}`;
}

function writeDigestObjects(
  writer: ByteWriter,
  message: DigestMessage,
  peers: MessagePeers | undefined,
): void {
  const relative = message.base !== undefined;
  writer.writeVarint(message.objects.length);
  for (const object of message.objects) {
    writer.writeU8(object.kind === 'map' ? KIND_MAP : KIND_STREAM).writeString(object.name);
    if (!relative) writeRange(writer, object.from, object.to);
    writer.writeVarint(object.clocks.length);
    for (const [id, clock] of object.clocks) {
      writePeerNodeId(writer, id, peers);
      if ('seq' in clock) writeStreamClock(writer, clock);
      else writeMapClock(writer, clock);
    }
  }
}

/** Decodes a digest body that `peers.sender` sent `peers.receiver`, from untrusted bytes; never throws. */
export function decodeDigest(bytes: Uint8Array, peers?: MessagePeers): DecodeResult<DigestMessage> {
  return readAll(bytes, (reader) => {
    const flags = reader.readU8();
    const channel = reader.readString(MAX_NAME_BYTES);
    const forms = flags & (DIGEST_BASE | DIGEST_SUMMARY | DIGEST_ANSWER);
    if (forms !== 0 && (forms & (forms - 1)) !== 0) reader.fail('digest is of two forms at once');
    const summary = (flags & DIGEST_SUMMARY) === 0 ? undefined : readSummary(reader);
    const answer = (flags & DIGEST_ANSWER) === 0 ? undefined : readAnswer(reader, peers);
    const base = (flags & DIGEST_BASE) === 0 ? undefined : reader.readRaw(BASE_BYTES).slice();
    const whole = summary === undefined && answer === undefined;
    const [scopeFrom, scopeTo] = base === undefined && whole ? readRange(reader) : ['', null];
    const objects = whole ? readDigestObjects(reader, base === undefined, peers) : [];
    const attached =
      (flags & DIGEST_ATTACHED) === 0 ? undefined : readDeltaObjects(reader, peers, digestClocks(objects));
    return {
      type: 'digest',
      channel,
      reply: (flags & DIGEST_REPLY) !== 0,
      fresh: (flags & DIGEST_FRESH) !== 0,
      scopeFrom,
      scopeTo,
      ...(base === undefined ? {} : { base }),
      ...(summary === undefined ? {} : { summary }),
      ...(answer === undefined ? {} : { answer }),
      objects,
      ...(attached === undefined ? {} : { attached }),
    };
  });
}

function readDigestObjects(
  reader: ByteReader,
  ranged: boolean,
  peers: MessagePeers | undefined,
): ObjectDigest[] {
  const objects: ObjectDigest[] = [];
  const objectCount = reader.readBoundedVarint(reader.remaining);
  for (let i = 0; i < objectCount; i++) {
    const kind = readKind(reader);
    const name = reader.readString(MAX_NAME_BYTES);
    const [from, to] = ranged ? readRange(reader) : ['', null];
    const count = reader.readBoundedVarint(reader.remaining);
    const clocks: [NodeId, MapClock | StreamClock][] = [];
    for (let j = 0; j < count; j++) {
      const id = readPeerNodeId(reader, peers);
      clocks.push([id, kind === 'map' ? readMapClock(reader) : readStreamClock(reader)]);
    }
    objects.push({ kind, name, from, to, clocks });
  }
  return objects;
}

/**
 * Encodes a delta body from `peers.sender` to `peers.receiver` (without `peers`, ids in full). Writers are dictionary-coded (a
 * table of ids, then small indexes; the two peers themselves take a byte each) and timestamps
 * delta-coded against the previous entry, so an entry costs a few bytes beyond its key and
 * value.
 */
export function encodeDelta(message: OutgoingDelta, peers?: MessagePeers): Uint8Array {
  const empty = message.objects.length === 0;
  const flags =
    (message.push ? DELTA_PUSH : 0) |
    (message.final ? DELTA_FINAL : 0) |
    (message.fresh ? DELTA_FRESH : 0) |
    (message.unknownBase === true ? DELTA_UNKNOWN_BASE : 0) |
    (empty ? DELTA_EMPTY : 0);
  const writer = new ByteWriter(empty ? 64 : 1024);
  writer.writeU8(flags).writeString(message.channel);
  if (!empty) writeDeltaObjects(writer, message.objects, peers);
  return writer.finish();
}

/**
 * Writes `writer-count node-id* count x-object*` (docs/protocol.md §6.3). `reference`: objects
 * attached to a digest, whose map claims are written against the digest's clocks.
 */
function writeDeltaObjects(
  out: ByteWriter,
  objects: readonly OutgoingObject[],
  peers: MessagePeers | undefined,
  reference?: DigestClocks,
): void {
  const writers = new Map<NodeId, number>();
  const indexOf = (id: NodeId): number => {
    let index = writers.get(id);
    if (index === undefined) {
      index = writers.size;
      writers.set(id, index);
    }
    return index;
  };
  const body = new ByteWriter(1024);
  body.writeVarint(objects.length);
  for (const object of objects) {
    const cursor = stampCursor(object.kind === 'map' ? object.claims[0]?.from : undefined);
    if (object.kind === 'map') {
      body.writeU8(KIND_MAP).writeString(object.name).writeVarint(object.claims.length);
      for (const claim of object.claims) {
        const index = indexOf(claim.writer);
        if (reference === undefined) {
          body.writeVarint(index);
          writeTimestamp(body, claim.from);
          body.writeVarint(zigzag(claim.to.wall - claim.from.wall)).writeVarint(claim.to.counter);
          continue;
        }
        // Attached to a digest: a claim ending at the digest's clock for its writer (the usual
        // case) names it with a bit and writes only its start, as a step back from there.
        const clock = reference.get(clockKey(object.name, claim.writer));
        const atClock = clock !== undefined && compareTimestamps(clock, claim.to) === 0;
        body.writeVarint(index * 2 + (atClock ? 1 : 0));
        if (atClock)
          body.writeVarint(zigzag(claim.to.wall - claim.from.wall)).writeVarint(claim.from.counter);
        else {
          writeTimestamp(body, claim.from);
          body.writeVarint(zigzag(claim.to.wall - claim.from.wall)).writeVarint(claim.to.counter);
        }
      }
      body.writeVarint(object.entries.length);
      for (const { entry, valueBytes } of object.entries) {
        body.writeString(entry.key).writeVarint(indexOf(entry.writer));
        writeStamp(body, cursor, entry);
        body.writeU8(valueBytes === undefined ? ENTRY_TOMBSTONE : 0);
        if (valueBytes !== undefined) body.writeBytes(valueBytes);
      }
    } else {
      body.writeU8(KIND_STREAM).writeString(object.name).writeVarint(object.entries.length);
      let previousSeq = 0;
      for (const entry of object.entries) {
        // The seq step and, in its low bit, whether the author's proof up to this entry follows.
        const proof = entry.proof;
        body.writeVarint(indexOf(entry.author)).writeVarint(streamSeqStep(entry.seq, previousSeq, proof));
        previousSeq = entry.seq;
        writeStamp(body, cursor, entry);
        body.writeBytes(entry.payload);
        if (proof !== undefined) body.writeRaw(proof.signature).writeRaw(proof.publicKey);
      }
    }
  }
  out.writeVarint(writers.size);
  for (const id of writers.keys()) writePeerNodeId(out, id, peers);
  out.writeRaw(body.finish());
}

/** Decodes a delta body that `peers.sender` sent `peers.receiver`, from untrusted bytes; never throws. Values are decoded with their limits. */
export function decodeDelta(bytes: Uint8Array, peers?: MessagePeers): DecodeResult<DeltaMessage> {
  return readAll(bytes, (reader) => {
    const flags = reader.readU8();
    const channel = reader.readString(MAX_NAME_BYTES);
    const objects = (flags & DELTA_EMPTY) === 0 ? readDeltaObjects(reader, peers) : [];
    return {
      type: 'delta',
      channel,
      push: (flags & DELTA_PUSH) !== 0,
      final: (flags & DELTA_FINAL) !== 0,
      fresh: (flags & DELTA_FRESH) !== 0,
      unknownBase: (flags & DELTA_UNKNOWN_BASE) !== 0,
      objects,
    };
  });
}

function readDeltaObjects(
  reader: ByteReader,
  peers: MessagePeers | undefined,
  reference?: DigestClocks,
): ObjectDelta[] {
  const writerCount = reader.readBoundedVarint(reader.remaining);
  const writers: NodeId[] = [];
  for (let i = 0; i < writerCount; i++) writers.push(readPeerNodeId(reader, peers));
  const writerAt = (index: number): NodeId =>
    writers[index] ?? reader.fail(`writer index ${index} out of range`);
  const objects: ObjectDelta[] = [];
  const objectCount = reader.readBoundedVarint(reader.remaining);
  for (let i = 0; i < objectCount; i++) {
    const kind = readKind(reader);
    const name = reader.readString(MAX_NAME_BYTES);
    if (kind === 'map') objects.push(readMapDelta(reader, name, writerAt, reference));
    else objects.push(readStreamDelta(reader, name, writerAt));
  }
  return objects;
}

function checkedWall(reader: ByteReader, wall: number): number {
  if (!Number.isInteger(wall) || wall < 0 || wall > MAX_WALL) reader.fail('wall clock out of range');
  return wall;
}

function readMapDelta(
  reader: ByteReader,
  name: string,
  writerAt: (index: number) => NodeId,
  reference: DigestClocks | undefined,
): MapDelta {
  const claims: RangeClaim[] = [];
  const claimCount = reader.readBoundedVarint(reader.remaining);
  for (let j = 0; j < claimCount; j++) {
    const packed = reader.readVarint();
    const writer = writerAt(reference === undefined ? packed : Math.floor(packed / 2));
    if (reference !== undefined && packed % 2 === 1) {
      const to = reference.get(clockKey(name, writer)) ?? reader.fail('a claim at a clock the digest lacks');
      const wall = checkedWall(reader, to.wall - unzigzag(reader.readVarint()));
      const from = { wall, counter: reader.readBoundedVarint(MAX_COUNTER) };
      claims.push({ writer, from, to: { wall: to.wall, counter: to.counter } });
      continue;
    }
    const from = readTimestamp(reader);
    const wall = checkedWall(reader, from.wall + unzigzag(reader.readVarint()));
    claims.push({ writer, from, to: { wall, counter: reader.readBoundedVarint(MAX_COUNTER) } });
  }
  const cursor = stampCursor(claims[0]?.from);
  const entries: MapEntry[] = [];
  const valueRanges: number[] = [];
  const source = reader.source;
  const entryCount = reader.readBoundedVarint(reader.remaining);
  for (let j = 0; j < entryCount; j++) {
    const key = reader.readString(MAX_WIRE_KEY_BYTES);
    const writer = writerAt(reader.readVarint());
    const { wall, counter } = readStamp(reader, cursor);
    const flags = reader.readU8();
    if (flags !== 0 && flags !== ENTRY_TOMBSTONE) reader.fail(`unknown entry flags ${flags}`);
    let value: Value | undefined;
    if (flags === ENTRY_TOMBSTONE) valueRanges.push(-1, -1);
    else {
      const length = reader.readBoundedVarint(reader.remaining);
      const start = reader.skip(length);
      valueRanges.push(start, start + length);
      value = readValue(reader, source, start, start + length);
    }
    entries.push(mapEntry(key, value, wall, counter, writer));
  }
  return { kind: 'map', name, claims, entries, source, valueRanges };
}

function readStreamDelta(reader: ByteReader, name: string, writerAt: (index: number) => NodeId): StreamDelta {
  const cursor = stampCursor();
  const entries: StreamEntry[] = [];
  const entryCount = reader.readBoundedVarint(reader.remaining);
  let previousSeq = 0;
  for (let j = 0; j < entryCount; j++) {
    const author = writerAt(reader.readVarint());
    const step = reader.readVarint();
    const seq = previousSeq + 1 + unzigzag(Math.floor(step / 2));
    if (!Number.isSafeInteger(seq) || seq < 1) reader.fail('sequence number out of range');
    previousSeq = seq;
    const { wall, counter } = readStamp(reader, cursor);
    const payload = reader.readBytes(reader.remaining).slice();
    if (step % 2 === 0) {
      entries.push({ author, seq, wall, counter, payload });
      continue;
    }
    const signature = reader.readRaw(SIGNATURE_BYTES).slice();
    const publicKey = reader.readRaw(SIGNING_PUBLIC_KEY_BYTES).slice();
    entries.push({ author, seq, wall, counter, payload, proof: { signature, publicKey } });
  }
  return { kind: 'stream', name, entries };
}

/**
 * The varint written before a stream entry: its seq's step from the previous entry's (zigzag,
 * 0 for the next seq) times two, plus one when the author's proof follows the entry (ADR 0054).
 */
export function streamSeqStep(seq: number, previousSeq: number, proof: unknown): number {
  return zigzag(seq - previousSeq - 1) * 2 + (proof === undefined ? 0 : 1);
}

/** Wire bytes of a stream entry's proof: signature and public key. */
export const STREAM_PROOF_BYTES = SIGNATURE_BYTES + SIGNING_PUBLIC_KEY_BYTES;

/** The value encoded at `source[start .. end)` (not frozen: the map freezes what it hands out). */
function readValue(reader: ByteReader, source: Uint8Array, start: number, end: number): Value {
  const decoded = decodeValueRange(source, start, end);
  return decoded.ok ? decoded.value : reader.fail(`bad value: ${decoded.error}`);
}

/** A half-open string range [from, to); `to` null means unbounded. */
function writeRange(writer: ByteWriter, from: string, to: string | null): void {
  writer.writeString(from).writeU8(to === null ? 0 : 1);
  if (to !== null) writer.writeString(to);
}

function readRange(reader: ByteReader): [string, string | null] {
  const from = reader.readString(MAX_RANGE_BOUND_BYTES);
  const bounded = reader.readU8();
  if (bounded > 1) reader.fail('bad range flag');
  return [from, bounded === 0 ? null : reader.readString(MAX_RANGE_BOUND_BYTES)];
}

function readKind(reader: ByteReader): 'map' | 'stream' {
  const kind = reader.readU8();
  if (kind === KIND_MAP) return 'map';
  if (kind === KIND_STREAM) return 'stream';
  return reader.fail(`unknown object kind ${kind}`);
}
