import type { EntryProof, StreamEntry } from '../crdt/event-log.js';
import { mapEntry } from '../crdt/lww-map.js';
import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import type { NodeId } from '../ids/node-id.js';
import { corruptChannel } from '../persistence/corrupt-channel.js';
import {
  decodeCounterRecord,
  decodeGhostRecord,
  decodeMapRecord,
  decodeSetSignatureRecord,
  decodeStreamProofRecord,
  decodeStreamRecord,
} from '../persistence/records.js';
import { channelMetaKey, channelPrefix, channelSyncKey, RecordKind } from '../persistence/storage-keys.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import { SIGNING_PUBLIC_KEY_BYTES } from '../ports/signer.js';
import { readNodeId, writeNodeId } from '../protocol/node-id-codec.js';
import { MAX_WIRE_KEY_BYTES } from '../protocol/sync-codec.js';
import { encodeBase64Url } from '../security/base64url.js';
import type { SyncReadStore } from '../sync/stored-entries.js';
import type { SetSignature } from '../sync/verified-sets.js';
import { type ByteReader, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import type { ChannelState } from './channel-state.js';
import { dropStoredMapCounts, openStoredMaps } from './stored-maps.js';

/**
 * Restores a channel from storage into `state`: map entries (or, with `entryStore`, the maps
 * kept there, opened without reading their entries), synced clocks, stream entries and
 * members. Returns the highest stamp seen, so the node's clock never issues one below it.
 * Throws {@link ShoalError} `CORRUPT_DATA` on a record that does not decode.
 */
export async function loadChannel(
  store: KeyValueStore,
  state: ChannelState,
  entryStore?: SyncReadStore,
): Promise<{ wall: number; counter: number }> {
  let high = { wall: 0, counter: 0 };
  const seen = (stamp: { wall: number; counter: number }) => {
    if (stamp.wall > high.wall || (stamp.wall === high.wall && stamp.counter > high.counter)) high = stamp;
  };
  if (entryStore !== undefined) await openStoredMaps(entryStore, state);
  else await dropStoredMapCounts(store, state.name);
  // Every writer's set is rebuilt from the entries and ghosts (ADR 0058): a map kept in the
  // store reads its entries for that alone.
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.MapEntry, state.name))) {
    const record = decodeMapRecord(key, value);
    if (!record.ok) corrupt(state.name, record.error);
    const {
      map,
      changeSeq,
      key: entryKey,
      value: entryValue,
      wall,
      counter,
      writer,
      valueStart,
    } = record.value;
    const object = state.map(map);
    const digest = object.replica.digestOf(valueStart < 0 ? undefined : value, valueStart, value.length);
    if (entryStore === undefined)
      object.load(mapEntry(entryKey, entryValue, wall, counter, writer), changeSeq, digest);
    else object.replica.sets.load(writer, { key: entryKey, wall, counter, digest });
    seen({ wall, counter });
  }
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.MapGhost, state.name))) {
    const parsed = readAll(key, (reader) => {
      reader.readU8();
      reader.readString(MAX_NAME_BYTES);
      const map = reader.readString(MAX_NAME_BYTES);
      const writer = reader.readString(MAX_NAME_BYTES) as NodeId;
      return { map, writer, key: reader.readString(MAX_WIRE_KEY_BYTES) };
    });
    if (!parsed.ok) corrupt(state.name, 'bad ghost record');
    const item = decodeGhostRecord(parsed.value.key, value);
    if (!item.ok) corrupt(state.name, item.error);
    state.map(parsed.value.map).replica.loadGhost(parsed.value.writer, item.value);
  }
  const signatures = new Map<string, Map<NodeId, SetSignature>>();
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.MapClock, state.name))) {
    const parsed = readAll(key, (reader) => {
      reader.readU8();
      reader.readString(MAX_NAME_BYTES);
      return { map: reader.readString(MAX_NAME_BYTES), writer: reader.readString(MAX_NAME_BYTES) as NodeId };
    });
    if (!parsed.ok) corrupt(state.name, 'bad synced clock');
    // A bare clock from before ADR 0058 proves nothing: that writer's set is fetched again.
    const signed = decodeSetSignatureRecord(value);
    if (!signed.ok) continue;
    let bySet = signatures.get(parsed.value.map);
    if (bySet === undefined) {
      bySet = new Map();
      signatures.set(parsed.value.map, bySet);
    }
    bySet.set(parsed.value.writer, signed.value);
  }
  for (const [name, map] of state.maps) map.loaded(signatures.get(name) ?? new Map());
  // Proofs first, so each loaded entry carries its own (ADR 0054).
  const proofs = new Map<string, EntryProof>();
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.StreamProof, state.name))) {
    const record = decodeStreamProofRecord(key, value);
    if (!record.ok) corrupt(state.name, record.error);
    const { stream, author, seq, proof } = record.value;
    proofs.set(`${stream}\0${author}\0${seq}`, proof);
  }
  const streams = new Map<string, { entry: StreamEntry; cursor: number }[]>();
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.StreamEntry, state.name))) {
    const record = decodeStreamRecord(key, value);
    if (!record.ok) corrupt(state.name, record.error);
    const { stream, changeSeq, channel: _channel, ...fields } = record.value;
    const proof = proofs.size === 0 ? undefined : proofs.get(`${stream}\0${fields.author}\0${fields.seq}`);
    const entry: StreamEntry = proof === undefined ? fields : { ...fields, proof };
    let list = streams.get(stream);
    if (list === undefined) {
      list = [];
      streams.set(stream, list);
    }
    list.push({ entry, cursor: changeSeq });
    seen(entry);
  }
  for (const [name, entries] of streams) state.stream(name).load(entries);
  const synced = await store.get(channelSyncKey(state.name));
  if (synced !== undefined) {
    const decoded = decodeCounterRecord(synced);
    if (!decoded.ok) corrupt(state.name, decoded.error);
    state.lastSyncedAt = decoded.value;
  }
  const members = await store.get(channelMetaKey(state.name));
  if (members !== undefined) {
    const decoded = decodeMembers(members);
    if (!decoded.ok) corrupt(state.name, decoded.error);
    for (const key of decoded.value.keys) state.members.set(encodeBase64Url(key), key);
    for (const id of decoded.value.ids) state.memberIds.add(id);
  }
  return high;
}

/** Marks the member record by key: `0x00 0x01`, which no list of ids (a count first) starts with but an empty one. */
const MEMBERS_BY_KEY = [0, 1] as const;

/**
 * Encodes a channel's member list: `0x00 0x01, count, public key [32]…, count, node id…`. The
 * record before members were listed by key held only `count, node id…`; its ids are kept.
 */
export function encodeMembers(keys: Iterable<Uint8Array>, ids: Iterable<NodeId>): Uint8Array {
  const keyList = [...keys];
  const idList = [...ids];
  const writer = new ByteWriter(12 + keyList.length * 32 + idList.length * 18);
  writer.writeU8(MEMBERS_BY_KEY[0]).writeU8(MEMBERS_BY_KEY[1]).writeVarint(keyList.length);
  for (const key of keyList) writer.writeRaw(key);
  writer.writeVarint(idList.length);
  for (const id of idList) writeNodeId(writer, id);
  return writer.finish();
}

function decodeMembers(bytes: Uint8Array) {
  return readAll(bytes, (reader: ByteReader) => {
    const byKey = bytes.length > 1 && bytes[0] === MEMBERS_BY_KEY[0] && bytes[1] === MEMBERS_BY_KEY[1];
    const keys: Uint8Array[] = [];
    if (byKey) {
      reader.readU8();
      reader.readU8();
      const count = reader.readBoundedVarint(Math.floor(reader.remaining / SIGNING_PUBLIC_KEY_BYTES));
      for (let i = 0; i < count; i++) keys.push(reader.readRaw(SIGNING_PUBLIC_KEY_BYTES).slice());
    }
    const count = reader.readBoundedVarint(reader.remaining);
    const ids: NodeId[] = [];
    for (let i = 0; i < count; i++) ids.push(readNodeId(reader));
    return { keys, ids };
  });
}

function corrupt(channel: string, reason: string): never {
  throw corruptChannel(channel, reason);
}
