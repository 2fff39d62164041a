import { ByteWriter } from '../wire/byte-writer.js';

/**
 * The key layout of everything Shoal persists in a {@link KeyValueStore}. One prefix byte per
 * record kind, then length-prefixed path segments, so no name can collide with another and a
 * prefix scan returns exactly one channel's or one object's records.
 *
 * WARNING: persisted data depends on these values; only append.
 */
export const RecordKind = {
  /** Node metadata: id, boot epoch, HLC high-water mark, SWIM incarnation, change counter. */
  NodeMeta: 1,
  /** A map entry: channel, map, key → version, change seq, value. */
  MapEntry: 2,
  /** A map's synced clock for one writer. */
  MapClock: 3,
  /** A stream entry: channel, stream, author, seq → stamp, change seq, payload. */
  StreamEntry: 4,
  /** Channel settings (member list). */
  ChannelMeta: 5,
  /** When the channel last completed a sync with a peer (wall ms): staleness after a long absence. */
  ChannelSync: 6,
} as const;

/** Key of a node metadata record. */
export function nodeMetaKey(name: string): Uint8Array {
  return new ByteWriter(16).writeU8(RecordKind.NodeMeta).writeString(name).finish();
}

/** Prefix of every record of `kind` in `channel` (and, when given, one object in it). */
export function channelPrefix(kind: number, channel: string, object?: string): Uint8Array {
  const writer = new ByteWriter(64).writeU8(kind).writeString(channel);
  if (object !== undefined) writer.writeString(object);
  return writer.finish();
}

/** Key of a map entry. */
export function mapEntryKey(channel: string, map: string, key: string): Uint8Array {
  return new ByteWriter(64)
    .writeU8(RecordKind.MapEntry)
    .writeString(channel)
    .writeString(map)
    .writeString(key)
    .finish();
}

/** Key of a map's synced clock for `writer`. */
export function mapClockKey(channel: string, map: string, writer: string): Uint8Array {
  return new ByteWriter(64)
    .writeU8(RecordKind.MapClock)
    .writeString(channel)
    .writeString(map)
    .writeString(writer)
    .finish();
}

/** Key of a stream entry; seq is big-endian so a scan returns an author's entries in order. */
export function streamEntryKey(channel: string, stream: string, author: string, seq: number): Uint8Array {
  return new ByteWriter(64)
    .writeU8(RecordKind.StreamEntry)
    .writeString(channel)
    .writeString(stream)
    .writeString(author)
    .writeU32(Math.floor(seq / 0x1_0000_0000))
    .writeU32(seq % 0x1_0000_0000)
    .finish();
}

/** Key of a channel's settings. */
export function channelMetaKey(channel: string): Uint8Array {
  return channelPrefix(RecordKind.ChannelMeta, channel);
}

/** Key of a channel's last-sync time. */
export function channelSyncKey(channel: string): Uint8Array {
  return channelPrefix(RecordKind.ChannelSync, channel);
}
