import { compareTimestamps, type Timestamp, ZERO_TIMESTAMP } from '../clock/timestamp.js';
import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import { corruptChannel } from '../persistence/corrupt-channel.js';
import { decodeMapRecord, encodeMapCountRecord } from '../persistence/records.js';
import {
  channelPrefix,
  MapIndexKeys,
  mapCountKey,
  prefixRange,
  RecordKind,
} from '../persistence/storage-keys.js';
import type { BatchOperation, KeyValueStore } from '../ports/key-value-store.js';
import type { SyncReadStore } from '../sync/stored-entries.js';
import { readAll } from '../wire/byte-reader.js';
import type { ChannelState } from './channel-state.js';

/** Operations per batch while building or dropping index records: bounded memory at any size. */
const CHUNK = 10_000;

/**
 * Opens the maps of `state`'s channel kept in the store (`config.mapEntries: 'store'`, ADR
 * 0050) without reading their entries: a seek per map and per writer. A map whose entries were
 * written in memory mode (no count record) gets its index and count records built first, once.
 * Returns the newest version held, so the node's clock never issues one below it.
 */
export async function openStoredMaps(store: SyncReadStore, state: ChannelState): Promise<Timestamp> {
  const counted = new Set(await countedMaps(store, state.name));
  const entryPrefix = channelPrefix(RecordKind.MapEntry, state.name);
  const end = prefixRange(entryPrefix).end;
  let start = entryPrefix;
  const names = new Set(counted);
  for (;;) {
    const [first] = [...store.scanSync({ start, end, limit: 1 })];
    if (first === undefined) break;
    const name = objectName(first[0], state.name);
    names.add(name);
    if (!counted.has(name)) await buildIndex(store, state.name, name);
    start = prefixRange(channelPrefix(RecordKind.MapEntry, state.name, name)).end;
  }
  let newest = ZERO_TIMESTAMP;
  for (const name of names) {
    const held = state.map(name).storedNewest();
    if (compareTimestamps(held, newest) > 0) newest = held;
  }
  return newest;
}

/**
 * Drops the index and count records of `channel`'s maps (a node opened in memory mode): its
 * writes will not keep them, so a later open in store mode builds them again from the entries.
 */
export async function dropStoredMapIndexes(store: KeyValueStore, channel: string): Promise<void> {
  for (const name of await countedMaps(store, channel)) {
    await deleteAll(store, new MapIndexKeys(channel, name).prefix);
    await store.delete(mapCountKey(channel, name));
  }
}

/** Names of `channel`'s maps that have a count record. */
async function countedMaps(store: KeyValueStore, channel: string): Promise<string[]> {
  const names: string[] = [];
  for await (const [key] of store.scan(channelPrefix(RecordKind.MapCount, channel)))
    names.push(objectName(key, channel));
  return names;
}

/** Writes the index records and the count record of map `name` from its entries. */
async function buildIndex(store: SyncReadStore, channel: string, name: string): Promise<void> {
  const keys = new MapIndexKeys(channel, name);
  await deleteAll(store, keys.prefix);
  let live = 0;
  let total = 0;
  let batch: BatchOperation[] = [];
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.MapEntry, channel, name))) {
    const record = decodeMapRecord(key, value);
    if (!record.ok) throw corruptChannel(channel, record.error);
    const entry = record.value;
    total++;
    if (entry.value !== undefined) live++;
    batch.push({ type: 'put', key: keys.key(entry.writer, entry, entry.key), value: new Uint8Array(0) });
    if (batch.length >= CHUNK) {
      await store.batch(batch);
      batch = [];
    }
  }
  // The count record last: until it lands, the next open builds the index again.
  batch.push({ type: 'put', key: mapCountKey(channel, name), value: encodeMapCountRecord({ live, total }) });
  await store.batch(batch);
}

async function deleteAll(store: KeyValueStore, prefix: Uint8Array): Promise<void> {
  let batch: BatchOperation[] = [];
  for await (const [key] of store.scan(prefix)) {
    batch.push({ type: 'delete', key });
    if (batch.length >= CHUNK) {
      await store.batch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await store.batch(batch);
}

/** The object name in a record key of `channel` (kind, channel, object, …). */
function objectName(key: Uint8Array, channel: string): string {
  const parsed = readAll(key, (reader) => {
    reader.readU8();
    reader.readString(MAX_NAME_BYTES);
    const name = reader.readString(MAX_NAME_BYTES);
    reader.skip(reader.remaining);
    return name;
  });
  if (!parsed.ok) throw corruptChannel(channel, 'a record key without an object name');
  return parsed.value;
}
