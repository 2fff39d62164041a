import type { ByteReader } from '../wire/byte-reader.js';
import type { ByteWriter } from '../wire/byte-writer.js';
import type { StreamClock } from './sync-messages.js';

/**
 * Writes a stream author's digest clock: `seq varint`, then, when seq > 0, the fingerprint of
 * entries 1..seq as two u32. Only a belief lacks a fingerprint, and beliefs are never sent; when
 * hashed, it is written as zeros.
 */
export function writeStreamClock(writer: ByteWriter, clock: StreamClock): void {
  writer.writeVarint(clock.seq);
  if (clock.seq > 0) writer.writeU32(clock.chain?.[0] ?? 0).writeU32(clock.chain?.[1] ?? 0);
}

/** Reads a clock written by {@link writeStreamClock}, bounds-checked. */
export function readStreamClock(reader: ByteReader): StreamClock {
  const seq = reader.readBoundedVarint(Number.MAX_SAFE_INTEGER);
  return seq === 0 ? { seq, chain: [0, 0] } : { seq, chain: [reader.readU32(), reader.readU32()] };
}

/** Most bytes {@link writeStreamClock} writes. */
export const STREAM_CLOCK_MAX_BYTES = 8 + 8;
