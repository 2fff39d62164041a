import type { StreamEntry } from '../crdt/event-log.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { MAX_NAME_BYTES } from '../ids/channel-id.js';
import type { NodeId } from '../ids/node-id.js';
import {
  decodeCounterRecord,
  decodeMapRecord,
  decodeStreamRecord,
  decodeTimestampRecord,
} from '../persistence/records.js';
import { channelMetaKey, channelPrefix, channelSyncKey, RecordKind } from '../persistence/storage-keys.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import { readNodeId, writeNodeId } from '../protocol/node-id-codec.js';
import { type ByteReader, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import type { ChannelState } from './channel-state.js';

/**
 * Restores a channel from storage into `state`: map entries, synced clocks, stream entries and
 * members. Returns the highest stamp seen, so the node's clock never issues one below it.
 * Throws {@link ShoalError} `CORRUPT_DATA` on a record that does not decode.
 */
export async function loadChannel(
  store: KeyValueStore,
  state: ChannelState,
): Promise<{ wall: number; counter: number }> {
  let high = { wall: 0, counter: 0 };
  const seen = (stamp: { wall: number; counter: number }) => {
    if (stamp.wall > high.wall || (stamp.wall === high.wall && stamp.counter > high.counter)) high = stamp;
  };
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.MapEntry, state.name))) {
    const record = decodeMapRecord(key, value);
    if (!record.ok) corrupt(state.name, record.error);
    const { map, changeSeq, channel: _channel, ...entry } = record.value;
    state.map(map).load(entry, changeSeq);
    seen(entry);
  }
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.MapClock, state.name))) {
    const parsed = readAll(key, (reader) => {
      reader.readU8();
      reader.readString(MAX_NAME_BYTES);
      return { map: reader.readString(MAX_NAME_BYTES), writer: reader.readString(MAX_NAME_BYTES) as NodeId };
    });
    const clock = decodeTimestampRecord(value);
    if (!parsed.ok || !clock.ok) corrupt(state.name, 'bad synced clock');
    state.map(parsed.value.map).replica.raiseClock(parsed.value.writer, clock.value);
  }
  const streams = new Map<string, { entry: StreamEntry; cursor: number }[]>();
  for await (const [key, value] of store.scan(channelPrefix(RecordKind.StreamEntry, state.name))) {
    const record = decodeStreamRecord(key, value);
    if (!record.ok) corrupt(state.name, record.error);
    const { stream, changeSeq, channel: _channel, ...entry } = record.value;
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
    for (const member of decoded.value) state.members.add(member);
  }
  return high;
}

/** Encodes a channel's member list. */
export function encodeMembers(members: Iterable<NodeId>): Uint8Array {
  const list = [...members];
  const writer = new ByteWriter(8 + list.length * 18).writeVarint(list.length);
  for (const member of list) writeNodeId(writer, member);
  return writer.finish();
}

function decodeMembers(bytes: Uint8Array) {
  return readAll(bytes, (reader: ByteReader) => {
    const count = reader.readBoundedVarint(reader.remaining);
    const members: NodeId[] = [];
    for (let i = 0; i < count; i++) members.push(readNodeId(reader));
    return members;
  });
}

function corrupt(channel: string, reason: string): never {
  throw new ShoalError(
    ErrorCode.CorruptData,
    `stored data of channel ${JSON.stringify(channel)} is corrupt: ${reason}`,
  );
}
