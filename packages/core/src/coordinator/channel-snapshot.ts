import { decodeDelta, encodeDelta } from '../protocol/sync-codec.js';
import type { ObjectDelta } from '../protocol/sync-messages.js';
import { DeltaChunker } from '../sync/delta-chunker.js';
import type { DecodeResult } from '../wire/byte-reader.js';
import type { ChannelState } from './channel-state.js';

/**
 * "SHX" and the format version: a snapshot file says what it is before anything is decoded.
 * The body is a delta, so the version moves with the delta's encoding: 2 since stream entries
 * carry their authors' proofs (envelope version 5), whose seq steps a version 1 reader would
 * misread; 3 since map entries come under their writers' signed sets (envelope version 6, ADR
 * 0058) instead of claims.
 */
const MAGIC = [0x53, 0x48, 0x58] as const;
const VERSION = 3;

/**
 * Encodes everything `channel` holds (map entries with tombstones under their writers' signed
 * sets, with the ghosts those need; stream entries with their proofs) as a snapshot: the magic `SHX`, a version byte, then one delta
 * body (docs/protocol.md §6.3) with every writer id in full. Own writes not yet durable are
 * left out, as they are from every sync message.
 */
export function encodeSnapshot(channel: ChannelState): Uint8Array {
  // One chunk with no size bound: the chunker encodes each value once, as a sync answer does.
  const chunker = new DeltaChunker(channel.name, Number.POSITIVE_INFINITY, false);
  for (const { object } of channel.objects()) chunker.add(object.plan(new Map(), '', null));
  const objects = chunker.finish()[0]?.objects ?? [];
  const body = encodeDelta({ channel: channel.name, push: false, final: true, fresh: false, objects });
  const out = new Uint8Array(MAGIC.length + 1 + body.length);
  out.set(MAGIC, 0);
  out[MAGIC.length] = VERSION;
  out.set(body, MAGIC.length + 1);
  return out;
}

/**
 * Decodes a snapshot from untrusted bytes; never throws. Sizes and counts are bounded by the
 * input, values by their limits (as any delta from a peer).
 */
export function decodeSnapshot(bytes: Uint8Array): DecodeResult<{ channel: string; objects: ObjectDelta[] }> {
  if (!(bytes instanceof Uint8Array) || bytes.length < MAGIC.length + 1) {
    return { ok: false, error: 'not a Shoal channel snapshot (too short)' };
  }
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) {
    return { ok: false, error: 'not a Shoal channel snapshot (bad magic)' };
  }
  const version = bytes[MAGIC.length] as number;
  if (version !== VERSION) {
    const why =
      version < VERSION
        ? 'written by an older Shoal: export it again with this one'
        : 'written by a newer Shoal';
    return { ok: false, error: `unsupported snapshot version ${version} (${why})` };
  }
  const delta = decodeDelta(bytes.subarray(MAGIC.length + 1));
  if (!delta.ok) return delta;
  return { ok: true, value: { channel: delta.value.channel, objects: [...delta.value.objects] } };
}
