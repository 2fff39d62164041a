import type { Timestamp } from '../clock/timestamp.js';
import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import type { NodeId } from '../ids/node-id.js';
import type { KeyRange } from '../ports/key-value-store.js';
import { MAX_WIRE_KEY_BYTES } from '../protocol/sync-codec.js';
import { readAll } from '../wire/byte-reader.js';
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
  /** A map entry by writer and version (a map kept in the store, ADR 0050): channel, map, writer, wall, counter → key. */
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

/**
 * Builds the keys of one map's index records (ADR 0050): the writer, the version's wall (8
 * bytes) and counter (4 bytes) big-endian, then the entry's key, so a range scan returns a
 * writer's entries in version order, and two entries of one version (a faulty writer's) keep
 * a record each. The records' values are empty.
 */
export class MapIndexKeys {
  /** The prefix of every index record of the map. */
  readonly prefix: Uint8Array;

  constructor(channel: string, map: string) {
    this.prefix = channelPrefix(RecordKind.MapIndex, channel, map);
  }

  /** The prefix of `writer`'s index records. */
  writer(writer: string): Uint8Array {
    return new ByteWriter(this.prefix.length + 2 + writer.length * 3)
      .writeRaw(this.prefix)
      .writeString(writer)
      .finish();
  }

  /** The key of the index record of `writer`'s entry of `key` at `stamp`. */
  key(writer: string, stamp: Timestamp, key: string): Uint8Array {
    const path = this.writer(writer);
    return new ByteWriter(path.length + STAMP_BYTES + stringBound(key))
      .writeRaw(path)
      .writeRaw(stampBytes(stamp))
      .writeString(key)
      .finish();
  }

  /** The least key of `writer`'s index records above every one at `stamp`. */
  after(writer: string, stamp: Timestamp): Uint8Array {
    const path = this.writer(writer);
    const bytes = new Uint8Array(path.length + STAMP_BYTES);
    bytes.set(path);
    bytes.set(stampBytes(stamp), path.length);
    // Plus one, as a big-endian number: a stamp is never all 0xff bytes.
    let at = bytes.length - 1;
    while (bytes[at] === 0xff) bytes[at--] = 0;
    bytes[at] = (bytes[at] as number) + 1;
    return bytes;
  }

  /** The version and entry key in index key `key` of a writer whose prefix is `pathLength` long. */
  static parse(key: Uint8Array, pathLength: number): { stamp: Timestamp; key: string } | undefined {
    if (key.length < pathLength + STAMP_BYTES) return undefined;
    const u32 = (from: number) =>
      (((key[from] as number) << 24) |
        ((key[from + 1] as number) << 16) |
        ((key[from + 2] as number) << 8) |
        (key[from + 3] as number)) >>>
      0;
    const at = pathLength;
    const entryKey = readAll(key.subarray(at + STAMP_BYTES), (reader) =>
      reader.readString(MAX_WIRE_KEY_BYTES),
    );
    if (!entryKey.ok) return undefined;
    return {
      stamp: { wall: u32(at) * 0x1_0000_0000 + u32(at + 4), counter: u32(at + 8) },
      key: entryKey.value,
    };
  }

  /** The writer in index key `key`, or undefined when it does not parse. */
  writerOf(key: Uint8Array): string | undefined {
    const parsed = readAll(key.subarray(this.prefix.length), (reader) => {
      const writer = reader.readString(MAX_NAME_BYTES);
      reader.skip(reader.remaining);
      return writer;
    });
    return parsed.ok ? parsed.value : undefined;
  }
}

/** Bytes of a version in an index key: wall (8) and counter (4), big-endian. */
const STAMP_BYTES = 12;

/** A version as an index key holds it: wall (8 bytes) and counter (4 bytes), big-endian. */
function stampBytes(stamp: Timestamp): Uint8Array {
  const bytes = new Uint8Array(STAMP_BYTES);
  writeU32At(bytes, 0, Math.floor(stamp.wall / 0x1_0000_0000));
  writeU32At(bytes, 4, stamp.wall % 0x1_0000_0000);
  writeU32At(bytes, 8, stamp.counter);
  return bytes;
}

function writeU32At(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
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
