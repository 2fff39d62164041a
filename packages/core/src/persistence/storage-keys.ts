import type { NodeId } from '../ids/node-id.js';
import type { KeyRange } from '../ports/key-value-store.js';
import { ByteWriter, varintSize } from '../wire/byte-writer.js';
import { utf8Length } from '../wire/utf8-length.js';
import { stringBound, writeRawAt, writeStringAt } from '../wire/write-at.js';
import { recordBytes } from './record-bytes.js';

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
  /** A writer's signature over its set of a map, whose version is the map's clock for it (ADR 0058). */
  MapClock: 3,
  /** A stream entry: channel, stream, author, seq → stamp, change seq, payload. */
  StreamEntry: 4,
  /** Channel settings (member list). */
  ChannelMeta: 5,
  /** When the channel last completed a sync with a peer (wall ms): staleness after a long absence. */
  ChannelSync: 6,
  /** An author's proof of a stream up to one entry: channel, stream, author, seq → signature, key (ADR 0054). */
  StreamProof: 7,
  /** Was a map kept in the store's index by writer and version (ADR 0050); writer sets replaced it (ADR 0058) and an open drops such records. */
  MapIndex: 8,
  /** How many keys a map kept in the store holds: channel, map → live keys, all keys (ADR 0050). */
  MapCount: 9,
  /** A write a map's entry no longer holds, kept for its writer's set: channel, map, writer, key → version, digest (ADR 0058). */
  MapGhost: 10,
} as const;

/** Key of a ghost: `writer`'s replaced write of `key` in one map. */
export function mapGhostKey(channel: string, map: string, writer: NodeId, key: string): Uint8Array {
  return new ByteWriter(64)
    .writeU8(RecordKind.MapGhost)
    .writeString(channel)
    .writeString(map)
    .writeString(writer)
    .writeString(key)
    .finish();
}

/** The keys starting with `prefix`, as a {@link KeyRange}. */
export function prefixRange(prefix: Uint8Array): KeyRange {
  // The least key above every extension of the prefix: drop trailing 0xff bytes, add one to
  // the last. Every prefix here starts with a record kind byte below 0xff, so it exists.
  let last = prefix.length - 1;
  while (prefix[last] === 0xff) last--;
  const end = prefix.slice(0, last + 1);
  end[last] = (end[last] as number) + 1;
  return { start: prefix, end };
}

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
  return new MapEntryKeys(channel, map).key(key);
}

/** Builds the keys of one map's entries, as {@link mapEntryKey} does, encoding the path once. */
export class MapEntryKeys {
  readonly #prefix: Uint8Array;

  constructor(channel: string, map: string) {
    this.#prefix = channelPrefix(RecordKind.MapEntry, channel, map);
  }

  /** Key of the entry of `key`. */
  key(key: string): Uint8Array {
    const length = utf8Length(key);
    const bytes = recordBytes(this.#prefix.length + varintSize(length) + length);
    this.writeAt(bytes, 0, key);
    return bytes;
  }

  /** Most bytes {@link MapEntryKeys.writeAt} writes for `key`. */
  bound(key: string): number {
    return this.#prefix.length + stringBound(key);
  }

  /** Writes the key of the entry of `key` at `at` of `bytes` (room for `bound`); returns its end. */
  writeAt(bytes: Uint8Array, at: number, key: string): number {
    return writeStringAt(bytes, writeRawAt(bytes, at, this.#prefix), key);
  }
}

/** Key of the count record of a map kept in the store. */
export function mapCountKey(channel: string, map: string): Uint8Array {
  return channelPrefix(RecordKind.MapCount, channel, map);
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
  return new StreamEntryKeys(channel, stream).key(author, seq);
}

/**
 * Builds the keys of one stream's entries, as {@link streamEntryKey} does, but encodes the
 * path (channel, stream, author) once and not per entry: persisting a long run of one
 * author's entries then costs one small allocation per key.
 */
export class StreamEntryKeys {
  readonly #prefix: Uint8Array;
  #author: string | undefined;
  #authorPrefix: Uint8Array = new Uint8Array();

  /** @param kind the record kind: entries, or ({@link RecordKind.StreamProof}) their proofs. */
  constructor(channel: string, stream: string, kind: number = RecordKind.StreamEntry) {
    this.#prefix = channelPrefix(kind, channel, stream);
  }

  /** Key of `author`'s entry `seq`. */
  key(author: string, seq: number): Uint8Array {
    const bytes = recordBytes(this.bound(author));
    this.writeAt(bytes, 0, author, seq);
    return bytes;
  }

  /** Bytes {@link StreamEntryKeys.writeAt} writes for `author`'s entries. */
  bound(author: string): number {
    return this.#authorPath(author).length + 8;
  }

  /** Writes the key of `author`'s entry `seq` at `at` of `bytes` (room for `bound`); returns its end. */
  writeAt(bytes: Uint8Array, at: number, author: string, seq: number): number {
    const end = writeRawAt(bytes, at, this.#authorPath(author));
    const high = Math.floor(seq / 0x1_0000_0000);
    const low = seq % 0x1_0000_0000;
    bytes[end] = high >>> 24;
    bytes[end + 1] = (high >>> 16) & 0xff;
    bytes[end + 2] = (high >>> 8) & 0xff;
    bytes[end + 3] = high & 0xff;
    bytes[end + 4] = low >>> 24;
    bytes[end + 5] = (low >>> 16) & 0xff;
    bytes[end + 6] = (low >>> 8) & 0xff;
    bytes[end + 7] = low & 0xff;
    return end + 8;
  }

  /** The key prefix of `author`'s entries. */
  #authorPath(author: string): Uint8Array {
    if (author !== this.#author) {
      // Entries come in runs of one author (a delta is sorted by author), so one is remembered.
      const length = utf8Length(author);
      this.#author = author;
      this.#authorPrefix = new ByteWriter(this.#prefix.length + varintSize(length) + length)
        .writeRaw(this.#prefix)
        .writeString(author)
        .finish();
    }
    return this.#authorPrefix;
  }
}

/** Key of a channel's settings. */
export function channelMetaKey(channel: string): Uint8Array {
  return channelPrefix(RecordKind.ChannelMeta, channel);
}

/** Key of a channel's last-sync time. */
export function channelSyncKey(channel: string): Uint8Array {
  return channelPrefix(RecordKind.ChannelSync, channel);
}
