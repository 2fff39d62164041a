import { type ByteReader, type DecodeResult, readAll } from '../../wire/byte-reader.js';
import { ByteWriter } from '../../wire/byte-writer.js';
import { SKETCH_CELLS, SKETCH_WORDS, type SketchElement } from './difference-sketch.js';
import { FINGERPRINT_BYTES } from './fingerprint.js';
import { BRANCHING, MAX_DEPTH, type PrefixRange } from './prefix-range.js';

/** First byte of every reconciliation message. Part of the protocol: change only with a new value. */
export const RECONCILE_PROTOCOL = 0x01;

/** Most ids one `items` or `want` record may carry. */
export const MAX_LIST_IDS = 4096;

/**
 * Record tags. Numeric values are part of the wire protocol: only append.
 * - `fingerprint`: the sender's summary of one range.
 * - `split`: the sender's summaries of the 16 children of a range whose summaries differed.
 * - `items`: every item id the sender holds in a range (small ranges, Meyer 2022 §3.3 "IdList").
 * - `want`: the ids from the peer's `items` that the sender does not hold.
 * - `sketch`: the whole-set summary plus a difference sketch (the one-round-trip fast path).
 * - `elements`: decoded sketch elements the sender does not hold, for the peer to name.
 */
const Tag = { fingerprint: 1, split: 2, items: 3, want: 4, sketch: 5, elements: 6 } as const;

/** A range summary on the wire: the count and, when non-zero, the low bytes of the sum. */
export interface WireSummary {
  readonly count: number;
  /** {@link FINGERPRINT_BYTES} bytes, or empty when `count` is 0. */
  readonly sum: Uint8Array;
}

/** One unit of a reconciliation message; each is meaningful on its own. */
export type ReconcileRecord =
  | { readonly kind: 'fingerprint'; readonly range: PrefixRange; readonly summary: WireSummary }
  | { readonly kind: 'split'; readonly range: PrefixRange; readonly children: readonly WireSummary[] }
  | { readonly kind: 'items'; readonly range: PrefixRange; readonly ids: readonly number[] }
  | { readonly kind: 'want'; readonly range: PrefixRange; readonly ids: readonly number[] }
  | {
      readonly kind: 'sketch';
      readonly range: PrefixRange;
      readonly summary: WireSummary;
      readonly cells: Uint32Array;
    }
  | { readonly kind: 'elements'; readonly range: PrefixRange; readonly elements: readonly SketchElement[] };

/** Writes one record; messages are {@link RECONCILE_PROTOCOL} followed by records. */
export function writeRecord(writer: ByteWriter, record: ReconcileRecord): void {
  writer.writeU8(Tag[record.kind]);
  writeRange(writer, record.range);
  switch (record.kind) {
    case 'fingerprint':
      writeSummary(writer, record.summary);
      return;
    case 'split':
      for (const child of record.children) writeSummary(writer, child);
      return;
    case 'items':
    case 'want':
      writer.writeVarint(record.ids.length);
      for (const id of record.ids) writer.writeU32(id);
      return;
    case 'sketch':
      writeSummary(writer, record.summary);
      writeCells(writer, record.cells);
      return;
    case 'elements':
      writer.writeVarint(record.elements.length);
      for (const element of record.elements) writeElement(writer, element);
  }
}

/** The bytes of one record alone (for fitting records into a size budget). */
export function encodeRecord(record: ReconcileRecord): Uint8Array {
  const writer = new ByteWriter(32);
  writeRecord(writer, record);
  return writer.finish();
}

/**
 * Decodes a message from untrusted bytes. Total and bounded: depths, prefixes, counts and list
 * lengths are checked against protocol limits and the bytes remaining before any allocation.
 */
export function decodeReconcileMessage(bytes: Uint8Array): DecodeResult<ReconcileRecord[]> {
  return readAll(bytes, (reader) => {
    if (reader.readU8() !== RECONCILE_PROTOCOL) reader.fail('unknown reconcile protocol');
    const records: ReconcileRecord[] = [];
    while (reader.remaining > 0) records.push(readRecord(reader));
    return records;
  });
}

function readRecord(reader: ByteReader): ReconcileRecord {
  const tag = reader.readU8();
  const range = readRange(reader);
  switch (tag) {
    case Tag.fingerprint:
      return { kind: 'fingerprint', range, summary: readSummary(reader) };
    case Tag.split: {
      if (range.depth >= MAX_DEPTH) reader.fail('split below the deepest range');
      const children: WireSummary[] = [];
      for (let i = 0; i < BRANCHING; i++) children.push(readSummary(reader));
      return { kind: 'split', range, children };
    }
    case Tag.items:
    case Tag.want: {
      const length = reader.readBoundedVarint(Math.min(MAX_LIST_IDS, Math.floor(reader.remaining / 4)));
      const ids: number[] = [];
      for (let i = 0; i < length; i++) ids.push(reader.readU32());
      return { kind: tag === Tag.items ? 'items' : 'want', range, ids };
    }
    case Tag.sketch: {
      if (range.depth !== 0) reader.fail('a sketch covers the whole set');
      return { kind: 'sketch', range, summary: readSummary(reader), cells: readCells(reader) };
    }
    case Tag.elements: {
      const length = reader.readBoundedVarint(Math.min(MAX_LIST_IDS, Math.floor(reader.remaining / 9)));
      const elements: SketchElement[] = [];
      for (let i = 0; i < length; i++) elements.push(readElement(reader));
      return { kind: 'elements', range, elements };
    }
    default:
      return reader.fail(`unknown record tag ${tag}`);
  }
}

function writeSummary(writer: ByteWriter, summary: WireSummary): void {
  writer.writeVarint(summary.count);
  if (summary.count > 0) writer.writeRaw(summary.sum);
}

function readSummary(reader: ByteReader): WireSummary {
  const count = reader.readBoundedVarint(2 ** 48);
  const sum = count > 0 ? reader.readRaw(FINGERPRINT_BYTES).slice() : new Uint8Array(0);
  return { count, sum };
}

/** A range is its depth, then its prefix in ceil(depth / 2) big-endian bytes. */
function writeRange(writer: ByteWriter, range: PrefixRange): void {
  writer.writeU8(range.depth);
  const length = Math.ceil(range.depth / 2);
  let rest = range.prefix * (range.depth % 2 === 1 ? 16 : 1);
  const bytes = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  writer.writeRaw(bytes);
}

function readRange(reader: ByteReader): PrefixRange {
  const depth = reader.readU8();
  if (depth > MAX_DEPTH) reader.fail(`range depth ${depth} above ${MAX_DEPTH}`);
  const bytes = reader.readRaw(Math.ceil(depth / 2));
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  if (depth % 2 === 1) {
    if (value % 16 !== 0) reader.fail('range prefix has a stray low nibble');
    value /= 16;
  }
  return { depth, prefix: value };
}

/**
 * A sketch is its cells in order; a cell is its count mod 256 (u8), the position's high 8 bits
 * (u8), then the position's low 32 bits, the id and the check (u32 each): 14 bytes.
 */
function writeCells(writer: ByteWriter, cells: Uint32Array): void {
  for (let cell = 0; cell < SKETCH_CELLS; cell++) {
    const base = cell * SKETCH_WORDS;
    writer.writeU8(cells[base]! & 0xff);
    writer.writeU8(cells[base + 1]! & 0xff);
    for (let word = 2; word < SKETCH_WORDS; word++) writer.writeU32(cells[base + word]!);
  }
}

function readCells(reader: ByteReader): Uint32Array {
  const cells = new Uint32Array(SKETCH_CELLS * SKETCH_WORDS);
  for (let cell = 0; cell < SKETCH_CELLS; cell++) {
    const base = cell * SKETCH_WORDS;
    cells[base] = reader.readU8();
    cells[base + 1] = reader.readU8();
    for (let word = 2; word < SKETCH_WORDS; word++) cells[base + word] = reader.readU32();
  }
  return cells;
}

/** An element is its 40-bit position prefix (u8 then u32) and its u32 id. */
function writeElement(writer: ByteWriter, element: SketchElement): void {
  writer.writeU8(Math.floor(element.position / 2 ** 32));
  writer.writeU32(element.position >>> 0);
  writer.writeU32(element.id);
}

function readElement(reader: ByteReader): SketchElement {
  const high = reader.readU8();
  const low = reader.readU32();
  return { position: high * 2 ** 32 + low, id: reader.readU32() };
}
