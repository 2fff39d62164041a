import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import { corruptChannel } from '../persistence/corrupt-channel.js';
import { decodeMapRecord, encodeMapCountRecord } from '../persistence/records.js';
import { channelPrefix, mapCountKey, prefixRange, RecordKind } from '../persistence/storage-keys.js';
import type { BatchOperation, KeyValueStore } from '../ports/key-value-store.js';
import type { SyncReadStore } from '../sync/stored-entries.js';
import { readAll } from '../wire/byte-reader.js';
import type { ChannelState } from './channel-state.js';

/** Operations per batch while dropping records: bounded memory at any size. */
const CHUNK = 10_000;

/**
 * Readies the maps of `state`'s channel kept in the store (`config.mapEntries: 'store'`, ADR
 * 0050): a map whose entries were written in memory mode (no count record) gets its count
 * record, once. The version index records stores kept before writer sets (ADR 0058) are
 * dropped: nothing reads them now.
 */
export async function openStoredMaps(store: SyncReadStore, state: ChannelState): Promise<void> {
  await deleteAll(store, channelPrefix(RecordKind.MapIndex, state.name));
  const counted = new Set(await countedMaps(store, state.name));
  const entryPrefix = channelPrefix(RecordKind.MapEntry, state.name);
  const end = prefixRange(entryPrefix).end;
  let start = entryPrefix;
  for (;;) {
    const [first] = [...store.scanSync({ start, end, limit: 1 })];
    if (first === undefined) break;
    const name = objectName(first[0], state.name);
    if (!counted.has(name)) await countEntries(store, state.name, name);
    start = prefixRange(channelPrefix(RecordKind.MapEntry, state.name, name)).end;
  }
}

/**
 * Drops the count records of `channel`'s maps, and any version index records (a node opened
 * in memory mode): its writes will not keep them, so a later open in store mode counts again.
 */
export async function dropStoredMapCounts(store: KeyValueStore, channel: string): Promise<void> {
  await deleteAll(store, channelPrefix(RecordKind.MapIndex, channel));
  for (const name of await countedMaps(store, channel)) await store.delete(mapCountKey(channel, name));
}

/** Names of `channel`'s maps that have a count record. */
async function countedMaps(store: KeyValueStore, channel: string): Promise<string[]> {
  const names: string[] = [];
  for await (const [key] of store.scan(channelPrefix(RecordKind.MapCount, channel)))
    names.push(objectName(key, channel));
  return names;
}

/** Writes the count record of map `name` from its entries. */
async function countEntries(store: SyncReadStore, channel: string, name: string): Promise<void> {
  let live = 0;
  let total = 0;
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.MapEntry, channel, name))) {
    const record = decodeMapRecord(key, value);
    if (!record.ok) throw corruptChannel(channel, record.error);
    total++;
    if (record.value.value !== undefined) live++;
  }
  await store.put(mapCountKey(channel, name), encodeMapCountRecord({ live, total }));
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
