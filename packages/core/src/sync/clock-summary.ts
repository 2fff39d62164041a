import { sha256 } from '@noble/hashes/sha2.js';
import type { NodeId } from '../ids/node-id.js';
import { FINGERPRINT_BYTES, MAX_SUMMARY_BITS } from '../protocol/clock-summary-codec.js';
import { writeMapClock } from '../protocol/map-clock-codec.js';
import { writeStreamClock } from '../protocol/stream-clock-codec.js';
import type { BucketClocks, ObjectSummary } from '../protocol/sync-messages.js';
import { ByteWriter, varintSize } from '../wire/byte-writer.js';
import { utf8Length } from '../wire/utf8-length.js';
import {
  type Clock,
  type ClockSet,
  copyClockSet,
  digestObjectId,
  type ObjectClocks,
  objectClocks,
} from './clock-set.js';

/**
 * Writers per bucket aimed at: a bucket that differs costs its writers' clocks in the answer
 * (~25 B each), a bucket that matches costs its fingerprint only.
 */
const WRITERS_PER_BUCKET = 8;

/**
 * Where `writer` falls among `2^bits` buckets: the top bits of a 32-bit hash of its id
 * (FNV-1a, then the MurmurHash3 finalizer so every bit depends on every character), so ids of
 * any shape (`node-1`, `node-2`, …) spread evenly and both sides agree without sending bounds.
 * Not collision-resistant, and need not be: ids crowding one bucket cost bytes, never
 * correctness (the whole-set hash decides that). SHA-256 here made a summary of 1000 writers
 * cost ~5 ms.
 */
export function writerBucket(writer: NodeId, bits: number): number {
  if (bits === 0) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < writer.length; i++) hash = Math.imul(hash ^ writer.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash = (hash ^ (hash >>> 16)) >>> 0;
  return hash >>> (32 - bits);
}

/** Bucket bits for an object of `writers` writers: about {@link WRITERS_PER_BUCKET} per bucket. */
export function summaryBits(writers: number): number {
  const bits = Math.ceil(Math.log2(Math.max(1, writers / WRITERS_PER_BUCKET)));
  return Math.min(MAX_SUMMARY_BITS, Math.max(0, bits));
}

/**
 * The fingerprint of each of the `2^bits` buckets of `clocks`, in bucket order: the first
 * {@link FINGERPRINT_BYTES} of SHA-256 over the bucket's `string(writer) clock` in writer order
 * (the canonical clock encoding of `hashClockSet`). Equal clocks give equal fingerprints; a
 * difference goes unseen with probability 2^-32 per bucket, which the whole-set hash catches.
 */
export function bucketFingerprints(clocks: ReadonlyMap<NodeId, Clock>, bits: number): Uint8Array {
  const writers = new Map<number, ByteWriter>();
  for (const writer of [...clocks.keys()].sort()) {
    const bucket = writerBucket(writer, bits);
    let out = writers.get(bucket);
    if (out === undefined) {
      out = new ByteWriter(64);
      writers.set(bucket, out);
    }
    out.writeString(writer);
    const clock = clocks.get(writer) as Clock;
    if ('seq' in clock) writeStreamClock(out, clock);
    else writeMapClock(out, clock);
  }
  const empty = sha256(new Uint8Array()).subarray(0, FINGERPRINT_BYTES);
  const fingerprints = new Uint8Array(FINGERPRINT_BYTES << bits);
  for (let bucket = 0; bucket < 1 << bits; bucket++) {
    const out = writers.get(bucket);
    const print = out === undefined ? empty : sha256(out.finish()).subarray(0, FINGERPRINT_BYTES);
    fingerprints.set(print, bucket * FINGERPRINT_BYTES);
  }
  return fingerprints;
}

/** Bytes a summary digest of `objects` takes before any attachment (flags, channel, hash, objects). */
function summaryBytes(channel: string, objects: ReadonlyArray<{ name: string; bits: number }>): number {
  let bytes = 1 + nameBytes(channel) + 8 + varintSize(objects.length);
  for (const object of objects) bytes += 1 + nameBytes(object.name) + 1 + (FINGERPRINT_BYTES << object.bits);
  return bytes;
}

function nameBytes(name: string): number {
  const length = utf8Length(name);
  return varintSize(length) + length;
}

/**
 * `set` summarized in at most `budget` bytes, objects in id order: each with about
 * {@link WRITERS_PER_BUCKET} writers per bucket, the largest bucket counts halved until the
 * summary fits; undefined when even one bucket per object does not fit.
 */
export function summarize(channel: string, set: ClockSet, budget: number): ObjectSummary[] | undefined {
  const objects = [...set.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, object]) => ({ object, bits: summaryBits(object.clocks.size) }));
  while (
    summaryBytes(
      channel,
      objects.map(({ object, bits }) => ({ name: object.name, bits })),
    ) > budget
  ) {
    const widest = objects.reduce<(typeof objects)[number] | undefined>(
      (best, candidate) => (candidate.bits > (best?.bits ?? 0) ? candidate : best),
      undefined,
    );
    if (widest === undefined) return undefined;
    widest.bits--;
  }
  return objects.map(({ object, bits }) => ({
    kind: object.kind,
    name: object.name,
    bits,
    fingerprints: bucketFingerprints(object.clocks, bits),
  }));
}

/**
 * What `own` makes of a peer's summary: when every bucket of every summarized object matches,
 * the peer's whole set (`own`'s clocks of the objects it summarized); otherwise what an answer
 * must carry for the peer to rebuild `own` from its summarized set ({@link bucketDifferences}).
 */
export function resolveSummary(
  own: ClockSet,
  summary: readonly ObjectSummary[],
): { readonly whole: ClockSet } | { readonly answer: BucketClocks[] } {
  const { differing, extra } = bucketDifferences(own, summary);
  if (differing.length > 0) return { answer: [...differing, ...extra] };
  const whole: ClockSet = new Map();
  for (const object of summary) {
    const mine = own.get(digestObjectId(object));
    if (mine === undefined) objectClocks(whole, object);
    else whole.set(digestObjectId(object), { ...mine, clocks: new Map(mine.clocks) });
  }
  return { whole };
}

/**
 * `current` as bucket replacements of `base`, a set both peers hold: what a digest relative to
 * `base` carries when a clock of `base` is gone from `current` (which a list of moved clocks
 * cannot say). Empty when the two sets are equal.
 */
export function bucketChanges(current: ClockSet, base: ClockSet): BucketClocks[] {
  const summary = [...base.values()].map((object) => {
    const bits = summaryBits(object.clocks.size);
    return {
      kind: object.kind,
      name: object.name,
      bits,
      fingerprints: bucketFingerprints(object.clocks, bits),
    };
  });
  const { differing, extra } = bucketDifferences(current, summary);
  return [...differing, ...extra];
}

/**
 * How `own` differs from a summarized set. `differing`: per summarized object whose
 * fingerprints differ, `own`'s clocks in the differing buckets (the whole object when that is
 * no more clocks than buckets), or not held. `extra`: objects only `own` holds, whole.
 */
function bucketDifferences(
  own: ClockSet,
  summary: readonly ObjectSummary[],
): { differing: BucketClocks[]; extra: BucketClocks[] } {
  const differing: BucketClocks[] = [];
  const summarized = new Set<string>();
  for (const object of summary) {
    const id = digestObjectId(object);
    summarized.add(id);
    const mine = own.get(id);
    if (mine === undefined) {
      differing.push({ kind: object.kind, name: object.name, held: false });
      continue;
    }
    const buckets = differingBuckets(bucketFingerprints(mine.clocks, object.bits), object.fingerprints);
    if (buckets.length === 0) continue;
    if (mine.clocks.size <= buckets.length) {
      differing.push(wholeObject(mine));
      continue;
    }
    const wanted = new Set(buckets);
    const clocks = [...mine.clocks].filter(([writer]) => wanted.has(writerBucket(writer, object.bits)));
    differing.push({ kind: object.kind, name: object.name, held: true, bits: object.bits, buckets, clocks });
  }
  const extra: BucketClocks[] = [];
  for (const [id, object] of own) if (!summarized.has(id)) extra.push(wholeObject(object));
  return { differing, extra };
}

function wholeObject(object: ObjectClocks): BucketClocks {
  return {
    kind: object.kind,
    name: object.name,
    held: true,
    bits: 0,
    buckets: [0],
    clocks: [...object.clocks],
  };
}

/** The buckets whose fingerprints differ between `ours` and `theirs` (same bits). */
function differingBuckets(ours: Uint8Array, theirs: Uint8Array): number[] {
  const buckets: number[] = [];
  for (let at = 0; at < ours.length; at += FINGERPRINT_BYTES) {
    for (let i = at; i < at + FINGERPRINT_BYTES; i++) {
      if (ours[i] !== theirs[i]) {
        buckets.push(at / FINGERPRINT_BYTES);
        break;
      }
    }
  }
  return buckets;
}

/**
 * The set an answer describes: `base` (the summarized set, not modified) with each answered
 * object's listed buckets replaced by the answer's clocks, and objects not held removed. Only
 * as good as the answer: its sender's hash tells whether the result is its set.
 */
export function applyAnswer(base: ClockSet, objects: readonly BucketClocks[]): ClockSet {
  const set = copyClockSet(base);
  for (const object of objects) {
    if (!object.held) {
      set.delete(digestObjectId(object));
      continue;
    }
    const clocks = objectClocks(set, object);
    const replaced = new Set(object.buckets);
    for (const writer of [...clocks.keys()])
      if (replaced.has(writerBucket(writer, object.bits))) clocks.delete(writer);
    for (const [writer, clock] of object.clocks) clocks.set(writer, clock);
  }
  return set;
}
