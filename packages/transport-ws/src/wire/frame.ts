import {
  type ByteReader,
  ByteWriter,
  type DecodeResult,
  type NodeId,
  readAll,
  readNodeId,
  writeNodeId,
} from '@shoal/core';

/**
 * Frame format version, the first byte of every WebSocket message Shoal sends. A receiver
 * drops versions it does not know. Part of the wire protocol: only ever increases.
 */
export const WS_FRAME_VERSION = 1;

/** Frame types (docs/protocol.md §11). Numeric values are part of the protocol: only append. */
export const FrameType = {
  /** Hub → client, first frame on a connection: the hub's id, whether it is blind, other hubs. */
  Welcome: 1,
  /** Either way: one core message (a sealed envelope) from `from` to `to`. */
  Data: 2,
  /** Hub → client: peers on this hub to talk to (`up`) and ids it cannot reach (`down`). */
  Peers: 3,
  /** Either way: "are you there?" (browsers cannot send WebSocket ping frames). */
  Ping: 4,
  /** Either way: the answer to a Ping. */
  Pong: 5,
  /** Hub → client: this hub is going away; try these hubs. */
  Hubs: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Most hub URLs one Welcome or Hubs frame lists. */
export const MAX_HUB_URLS = 64;
/** Longest hub URL, in UTF-8 bytes. */
export const MAX_URL_BYTES = 2048;
/** Most ids in each list of a Peers frame. */
export const MAX_PEER_IDS = 64;

/** Every frame, decoded. `Data` payloads are views into the received bytes (no copy). */
export type Frame =
  | {
      readonly type: typeof FrameType.Welcome;
      readonly hub: NodeId;
      readonly blind: boolean;
      readonly hubs: readonly string[];
    }
  | {
      readonly type: typeof FrameType.Data;
      readonly to: NodeId;
      readonly from: NodeId;
      readonly payload: Uint8Array;
    }
  | {
      readonly type: typeof FrameType.Peers;
      readonly up: readonly NodeId[];
      readonly down: readonly NodeId[];
    }
  | { readonly type: typeof FrameType.Ping }
  | { readonly type: typeof FrameType.Pong }
  | { readonly type: typeof FrameType.Hubs; readonly hubs: readonly string[] };

const WELCOME_BLIND = 1;

function header(type: FrameType, capacity = 64): ByteWriter {
  return new ByteWriter(capacity).writeU8(WS_FRAME_VERSION).writeU8(type);
}

function writeUrls(writer: ByteWriter, urls: readonly string[]): void {
  const listed = urls.slice(0, MAX_HUB_URLS);
  writer.writeVarint(listed.length);
  for (const url of listed) writer.writeString(url);
}

function writeIds(writer: ByteWriter, ids: readonly NodeId[]): void {
  writer.writeVarint(ids.length);
  for (const id of ids) writeNodeId(writer, id);
}

/** A Welcome frame. Lists at most {@link MAX_HUB_URLS} hub URLs (the first ones). */
export function encodeWelcome(hub: NodeId, blind: boolean, hubs: readonly string[]): Uint8Array {
  const writer = header(FrameType.Welcome).writeU8(blind ? WELCOME_BLIND : 0);
  writeNodeId(writer, hub);
  writeUrls(writer, hubs);
  return writer.finish();
}

/** A Data frame carrying `payload` (copied) from `from` to `to`. */
export function encodeData(to: NodeId, from: NodeId, payload: Uint8Array): Uint8Array {
  const writer = header(FrameType.Data, payload.length + 40);
  writeNodeId(writer, to);
  writeNodeId(writer, from);
  writer.writeRaw(payload);
  return writer.finish();
}

/** A Peers frame; each list holds at most {@link MAX_PEER_IDS} ids. */
export function encodePeers(up: readonly NodeId[], down: readonly NodeId[]): Uint8Array {
  const writer = header(FrameType.Peers);
  writeIds(writer, up.slice(0, MAX_PEER_IDS));
  writeIds(writer, down.slice(0, MAX_PEER_IDS));
  return writer.finish();
}

/** A Ping or Pong frame (two bytes). */
export function encodeHeartbeat(type: typeof FrameType.Ping | typeof FrameType.Pong): Uint8Array {
  return Uint8Array.of(WS_FRAME_VERSION, type);
}

/** A Hubs frame listing at most {@link MAX_HUB_URLS} URLs. */
export function encodeHubs(hubs: readonly string[]): Uint8Array {
  const writer = header(FrameType.Hubs);
  writeUrls(writer, hubs);
  return writer.finish();
}

/** Bytes a Data frame adds to its payload, at most (two ids of up to 65 bytes, version, type). */
export const MAX_DATA_OVERHEAD = 2 + 2 * 65;

function readUrls(reader: ByteReader): string[] {
  const count = reader.readBoundedVarint(MAX_HUB_URLS);
  const urls: string[] = [];
  for (let i = 0; i < count; i++) urls.push(reader.readString(MAX_URL_BYTES));
  return urls;
}

function readIds(reader: ByteReader): NodeId[] {
  const count = reader.readBoundedVarint(MAX_PEER_IDS);
  const ids: NodeId[] = [];
  for (let i = 0; i < count; i++) ids.push(readNodeId(reader));
  return ids;
}

/**
 * Decodes one WebSocket message. Total and bounded: never throws, reads every count and length
 * against its bound before allocating, rejects an unknown version or type, unknown Welcome flag
 * bits, malformed ids, and trailing bytes (except a Data payload, which is the rest).
 */
export function decodeFrame(bytes: Uint8Array): DecodeResult<Frame> {
  return readAll(bytes, (reader): Frame => {
    if (reader.readU8() !== WS_FRAME_VERSION) reader.fail('unknown frame version');
    const type = reader.readU8();
    switch (type) {
      case FrameType.Welcome: {
        const flags = reader.readU8();
        if ((flags & ~WELCOME_BLIND) !== 0) reader.fail('unknown welcome flags');
        const hub = readNodeId(reader);
        return { type, hub, blind: flags === WELCOME_BLIND, hubs: readUrls(reader) };
      }
      case FrameType.Data: {
        const to = readNodeId(reader);
        const from = readNodeId(reader);
        return { type, to, from, payload: reader.readRaw(reader.remaining) };
      }
      case FrameType.Peers:
        return { type, up: readIds(reader), down: readIds(reader) };
      case FrameType.Ping:
      case FrameType.Pong:
        return { type };
      case FrameType.Hubs:
        return { type, hubs: readUrls(reader) };
      default:
        return reader.fail('unknown frame type');
    }
  });
}
