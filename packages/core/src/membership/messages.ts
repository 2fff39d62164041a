import type { NodeId } from '../ids/node-id.js';
import { type DecodeResult, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { MAX_INCARNATION, type MemberInfo, STATE_CODES } from './member-state.js';
import {
  MEMBERSHIP_WIRE_VERSION,
  readAddress,
  readNodeId,
  readVersion,
  writeAddress,
} from './wire-fields.js';

/**
 * Numeric type tag of each membership message.
 * WARNING: these values are part of the wire protocol. Never renumber or reuse one; only append.
 */
export const MessageType = {
  Ping: 1,
  PingReq: 2,
  Ack: 3,
  Nack: 4,
  PushPull: 5,
  Gossip: 6,
} as const;

/** Most members one push-pull may list (the byte budget usually binds first). */
export const MAX_PUSH_PULL_MEMBERS = 4096;

/**
 * A membership protocol message (the body the Coordinator wraps in its envelope).
 * - `ping` probes `target` (SWIM §3.1); `suspectedIncarnation` tells a suspect it is
 *   suspected at that incarnation so it can refute at once (Lifeguard §4.3 buddy system).
 * - `ping-req` asks the receiver to probe `target` for the sender; `wantNack` asks for a nack
 *   if the target does not answer in time (Lifeguard §4.1).
 * - `ack` / `nack` answer a ping / ping-req with the sequence number they carried.
 * - `push-pull` carries a member list (memberlist's push/pull state sync); a request is
 *   answered with a `reply` carrying the receiver's list.
 * - `gossip` carries nothing itself: it exists so that queued updates can ride piggyback when
 *   the host has nothing else to send (memberlist's gossip round, SWIM §4.1).
 */
export type MembershipMessage =
  | {
      readonly type: 'ping';
      readonly seq: number;
      readonly target: NodeId;
      readonly suspectedIncarnation?: number;
    }
  | { readonly type: 'ping-req'; readonly seq: number; readonly target: NodeId; readonly wantNack: boolean }
  | { readonly type: 'ack'; readonly seq: number }
  | { readonly type: 'nack'; readonly seq: number }
  | { readonly type: 'push-pull'; readonly reply: boolean; readonly members: readonly MemberInfo[] }
  | { readonly type: 'gossip' };

/** Writes one member entry of a push-pull: id, state code, incarnation, address. */
export function writeMemberInfo(writer: ByteWriter, member: MemberInfo): void {
  writer.writeString(member.id).writeU8(STATE_CODES.indexOf(member.state));
  writer.writeVarint(member.incarnation);
  writeAddress(writer, member.address);
}

/**
 * Encodes a message as `version:u8 type:u8 fields`. Layout per type:
 * ping `seq:varint target:str flags:u8 [suspectedIncarnation:varint if flags&1]`;
 * ping-req `seq:varint target:str flags:u8 (bit0 wantNack)`; ack, nack `seq:varint`;
 * push-pull `flags:u8 (bit0 reply) count:varint (id:str state:u8 incarnation:varint address:bytes)*`;
 * gossip: nothing.
 */
export function encodeMessage(message: MembershipMessage): Uint8Array {
  const writer = new ByteWriter().writeU8(MEMBERSHIP_WIRE_VERSION);
  switch (message.type) {
    case 'ping': {
      writer.writeU8(MessageType.Ping).writeVarint(message.seq).writeString(message.target);
      if (message.suspectedIncarnation === undefined) writer.writeU8(0);
      else writer.writeU8(1).writeVarint(message.suspectedIncarnation);
      break;
    }
    case 'ping-req':
      writer.writeU8(MessageType.PingReq).writeVarint(message.seq).writeString(message.target);
      writer.writeU8(message.wantNack ? 1 : 0);
      break;
    case 'ack':
      writer.writeU8(MessageType.Ack).writeVarint(message.seq);
      break;
    case 'nack':
      writer.writeU8(MessageType.Nack).writeVarint(message.seq);
      break;
    case 'push-pull':
      writer
        .writeU8(MessageType.PushPull)
        .writeU8(message.reply ? 1 : 0)
        .writeVarint(message.members.length);
      for (const member of message.members) writeMemberInfo(writer, member);
      break;
    case 'gossip':
      writer.writeU8(MessageType.Gossip);
      break;
  }
  return writer.finish();
}

/**
 * Decodes untrusted bytes into a message. Total: unknown versions, unknown types, malformed
 * ids, out-of-range counts and trailing bytes give `{ ok: false }`, never an exception.
 */
export function decodeMessage(bytes: Uint8Array): DecodeResult<MembershipMessage> {
  return readAll(bytes, (reader): MembershipMessage => {
    readVersion(reader);
    const type = reader.readU8();
    switch (type) {
      case MessageType.Ping: {
        const seq = reader.readVarint();
        const target = readNodeId(reader);
        const flags = reader.readU8();
        if (flags > 1) reader.fail('unknown ping flags');
        return flags === 1
          ? { type: 'ping', seq, target, suspectedIncarnation: reader.readBoundedVarint(MAX_INCARNATION) }
          : { type: 'ping', seq, target };
      }
      case MessageType.PingReq: {
        const seq = reader.readVarint();
        const target = readNodeId(reader);
        const flags = reader.readU8();
        if (flags > 1) reader.fail('unknown ping-req flags');
        return { type: 'ping-req', seq, target, wantNack: flags === 1 };
      }
      case MessageType.Ack:
        return { type: 'ack', seq: reader.readVarint() };
      case MessageType.Nack:
        return { type: 'nack', seq: reader.readVarint() };
      case MessageType.PushPull: {
        const flags = reader.readU8();
        if (flags > 1) reader.fail('unknown push-pull flags');
        const count = reader.readBoundedVarint(Math.min(MAX_PUSH_PULL_MEMBERS, reader.remaining));
        const members: MemberInfo[] = [];
        for (let i = 0; i < count; i++) {
          const id = readNodeId(reader);
          const state = STATE_CODES[reader.readU8()];
          if (state === undefined) return reader.fail('unknown member state');
          const incarnation = reader.readBoundedVarint(MAX_INCARNATION);
          const address = readAddress(reader);
          members.push(
            address === undefined ? { id, state, incarnation } : { id, state, incarnation, address },
          );
        }
        return { type: 'push-pull', reply: flags === 1, members };
      }
      case MessageType.Gossip:
        return { type: 'gossip' };
      default:
        return reader.fail(`unknown membership message type ${type}`);
    }
  });
}
