import { MAX_COUNTER, MAX_WALL, type Timestamp, type Version } from '../clock/timestamp.js';
import { readTimestamp, writeTimestamp } from '../clock/timestamp-codec.js';
import { decodeValueRange } from '../codec/decode-value.js';
import type { StreamEntry } from '../crdt/event-log.js';
import { type MapEntry, mapEntry } from '../crdt/lww-map.js';
import type { Value } from '../crdt/value.js';
import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import type { NodeId } from '../ids/node-id.js';
import { SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES } from '../ports/signer.js';
import { VALUE_DIGEST_BYTES } from '../security/map-set-proofs.js';
import { MAX_CUT_DEPTH, type SetSignature } from '../sync/verified-sets.js';
import type { CutNode } from '../sync/writer-set.js';
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
  MapGhost,
  MapProof,
  ObjectDelta,
  ObjectDigest,
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
      readonly proofs: readonly MapProof[];
      readonly entries: readonly EncodedMapEntry[];
      readonly ghosts: readonly MapGhost[];
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
  if (attached.length > 0) writeDeltaObjects(writer, attached, peers);
  return writer.finish();
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
    const attached = (flags & DIGEST_ATTACHED) === 0 ? undefined : readDeltaObjects(reader, peers);
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

/** Writes `writer-count node-id* count x-object*` (docs/protocol.md §6.3). */
function writeDeltaObjects(
  out: ByteWriter,
  objects: readonly OutgoingObject[],
  peers: MessagePeers | undefined,
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
    const cursor = stampCursor();
    if (object.kind === 'map') {
      body.writeU8(KIND_MAP).writeString(object.name).writeVarint(object.proofs.length);
      for (const proof of object.proofs) writeMapProof(body, proof, indexOf(proof.writer));
      body.writeVarint(object.entries.length);
      for (const { entry, valueBytes } of object.entries) {
        body.writeString(entry.key).writeVarint(indexOf(entry.writer));
        writeStamp(body, cursor, entry);
        body.writeU8(valueBytes === undefined ? ENTRY_TOMBSTONE : 0);
        if (valueBytes !== undefined) body.writeBytes(valueBytes);
      }
      body.writeVarint(object.ghosts.length);
      for (const ghost of object.ghosts) {
        body.writeString(ghost.key).writeVarint(indexOf(ghost.writer));
        writeStamp(body, cursor, ghost);
        body.writeRaw(ghost.digest);
        const by = ghost.by;
        body.writeVarint(by === undefined ? 0 : indexOf(by.writer) + 1);
        if (by !== undefined) writeTimestamp(body, by);
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

/** A map proof's kinds, in the low two bits of its first varint (the writer's index above them). */
const PROOF_WHOLE = 0;
const PROOF_CUT = 1;
const PROOF_SLICE = 2;

/**
 * Writes one writer's proof (ADR 0058): kind and writer, then for a whole set the start of its
 * range and the signature (whose version is written as a step from that start); for a cut the
 * signature and the nodes; for a slice its cut's version and place. Whole sets and slices end
 * with how many of the entries and ghosts that follow are theirs.
 */
export function writeMapProof(body: ByteWriter, proof: MapProof, writerIndex: number): void {
  if (proof.kind === 'whole') {
    body.writeVarint(writerIndex * 4 + PROOF_WHOLE);
    writeTimestamp(body, proof.from);
    body
      .writeVarint(zigzag(proof.signed.version.wall - proof.from.wall))
      .writeVarint(proof.signed.version.counter);
    body.writeRaw(proof.signed.signature).writeRaw(proof.signed.publicKey);
    body.writeVarint(proof.entries).writeVarint(proof.ghosts);
  } else if (proof.kind === 'cut') {
    body.writeVarint(writerIndex * 4 + PROOF_CUT);
    writeTimestamp(body, proof.signed.version);
    body.writeRaw(proof.signed.signature).writeRaw(proof.signed.publicKey);
    body.writeVarint(proof.nodes.length);
    for (const node of proof.nodes)
      body.writeU8(node.at.depth).writeVarint(node.at.index).writeRaw(node.hash);
  } else {
    body.writeVarint(writerIndex * 4 + PROOF_SLICE);
    writeTimestamp(body, proof.version);
    body.writeU8(proof.at.depth).writeVarint(proof.at.index);
    body.writeVarint(proof.entries).writeVarint(proof.ghosts);
  }
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

function readDeltaObjects(reader: ByteReader, peers: MessagePeers | undefined): ObjectDelta[] {
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
    if (kind === 'map') objects.push(readMapDelta(reader, name, writerAt));
    else objects.push(readStreamDelta(reader, name, writerAt));
  }
  return objects;
}

function checkedWall(reader: ByteReader, wall: number): number {
  if (!Number.isInteger(wall) || wall < 0 || wall > MAX_WALL) reader.fail('wall clock out of range');
  return wall;
}

function readMapDelta(reader: ByteReader, name: string, writerAt: (index: number) => NodeId): MapDelta {
  const proofs: MapProof[] = [];
  const proofCount = reader.readBoundedVarint(reader.remaining);
  let covered = 0;
  let coveredGhosts = 0;
  for (let j = 0; j < proofCount; j++) {
    const proof = readMapProof(reader, writerAt);
    if (proof.kind !== 'cut') {
      covered += proof.entries;
      coveredGhosts += proof.ghosts;
    }
    proofs.push(proof);
  }
  const cursor = stampCursor();
  const entries: MapEntry[] = [];
  const valueRanges: number[] = [];
  const source = reader.source;
  const entryCount = reader.readBoundedVarint(reader.remaining);
  if (covered > entryCount) reader.fail('proofs cover more entries than follow');
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
  const ghosts: MapGhost[] = [];
  const ghostCount = reader.readBoundedVarint(reader.remaining);
  if (coveredGhosts > ghostCount) reader.fail('proofs cover more ghosts than follow');
  for (let j = 0; j < ghostCount; j++) {
    const key = reader.readString(MAX_WIRE_KEY_BYTES);
    const writer = writerAt(reader.readVarint());
    const { wall, counter } = readStamp(reader, cursor);
    const digest = reader.readRaw(VALUE_DIGEST_BYTES).slice();
    const byIndex = reader.readVarint();
    let by: Version | undefined;
    if (byIndex > 0) {
      const byWriter = writerAt(byIndex - 1);
      const stamp = readTimestamp(reader);
      by = { wall: stamp.wall, counter: stamp.counter, writer: byWriter };
    }
    ghosts.push({ key, wall, counter, writer, digest, by });
  }
  return { kind: 'map', name, proofs, entries, ghosts, source, valueRanges };
}

function readMapProof(reader: ByteReader, writerAt: (index: number) => NodeId): MapProof {
  const packed = reader.readVarint();
  const writer = writerAt(Math.floor(packed / 4));
  const kind = packed % 4;
  if (kind === PROOF_WHOLE) {
    const from = readTimestamp(reader);
    const wall = checkedWall(reader, from.wall + unzigzag(reader.readVarint()));
    const version = { wall, counter: reader.readBoundedVarint(MAX_COUNTER) };
    const signed = readSignature(reader, version);
    const entries = reader.readBoundedVarint(reader.remaining);
    return {
      kind: 'whole',
      writer,
      from,
      signed,
      entries,
      ghosts: reader.readBoundedVarint(reader.remaining),
    };
  }
  if (kind === PROOF_CUT) {
    const signed = readSignature(reader, readTimestamp(reader));
    const nodes: CutNode[] = [];
    // A node takes at least 34 bytes: the count cannot claim more than the message holds.
    const count = reader.readBoundedVarint(Math.floor(reader.remaining / 34));
    for (let j = 0; j < count; j++) {
      const depth = reader.readU8();
      if (depth > MAX_CUT_DEPTH) reader.fail('a cut node too deep');
      const index = reader.readBoundedVarint(16 ** depth - 1);
      nodes.push({ at: { depth, index }, hash: reader.readRaw(32).slice() });
    }
    return { kind: 'cut', writer, signed, nodes };
  }
  if (kind !== PROOF_SLICE) reader.fail(`unknown map proof kind ${kind}`);
  const version = readTimestamp(reader);
  const depth = reader.readU8();
  if (depth > MAX_CUT_DEPTH) reader.fail('a slice too deep');
  const at = { depth, index: reader.readBoundedVarint(16 ** depth - 1) };
  const entries = reader.readBoundedVarint(reader.remaining);
  return { kind: 'slice', writer, version, at, entries, ghosts: reader.readBoundedVarint(reader.remaining) };
}

function readSignature(reader: ByteReader, version: Timestamp): SetSignature {
  const signature = reader.readRaw(SIGNATURE_BYTES).slice();
  return { version, signature, publicKey: reader.readRaw(SIGNING_PUBLIC_KEY_BYTES).slice() };
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
