import type { DecodeResult } from '../wire/byte-reader.js';
import { readAll } from '../wire/byte-reader.js';
import { ByteWriter, varintSize } from '../wire/byte-writer.js';
import { MAX_INCARNATION, type MemberUpdate } from './member-state.js';
import {
  MEMBERSHIP_WIRE_VERSION,
  readAddress,
  readNodeId,
  readVersion,
  writeAddress,
} from './wire-fields.js';

/**
 * Numeric tag of each gossip update kind.
 * WARNING: these values are part of the wire protocol. Never renumber or reuse one; only append.
 */
export const UpdateKind = {
  Alive: 1,
  Suspect: 2,
  Dead: 3,
  Left: 4,
} as const;

/** Most updates one piggyback may carry (each takes at least 4 bytes, so bytes bind first). */
export const MAX_PIGGYBACK_UPDATES = 1024;

/**
 * Encodes one update: `kind:u8 node:str incarnation:varint` then, for alive, `address:bytes`,
 * for suspect and dead, `from:str`; left has nothing more.
 */
export function encodeUpdate(update: MemberUpdate): Uint8Array {
  const writer = new ByteWriter(48);
  const kind = {
    alive: UpdateKind.Alive,
    suspect: UpdateKind.Suspect,
    dead: UpdateKind.Dead,
    left: UpdateKind.Left,
  }[update.kind];
  writer.writeU8(kind).writeString(update.node).writeVarint(update.incarnation);
  if (update.kind === 'alive') writeAddress(writer, update.address);
  else if (update.kind === 'suspect' || update.kind === 'dead') writer.writeString(update.from);
  return writer.finish();
}

/** Bytes a piggyback of `count` updates spends besides the updates: version and count. */
export function piggybackOverhead(count: number): number {
  return 1 + varintSize(count);
}

/** Frames already encoded updates as a piggyback: `version:u8 count:varint update*`. */
export function encodePiggyback(updates: readonly Uint8Array[]): Uint8Array {
  const writer = new ByteWriter().writeU8(MEMBERSHIP_WIRE_VERSION).writeVarint(updates.length);
  for (const update of updates) writer.writeRaw(update);
  return writer.finish();
}

/** Decodes an untrusted piggyback. Total: any malformation gives `{ ok: false }`. */
export function decodePiggyback(bytes: Uint8Array): DecodeResult<MemberUpdate[]> {
  return readAll(bytes, (reader) => {
    readVersion(reader);
    const count = reader.readBoundedVarint(Math.min(MAX_PIGGYBACK_UPDATES, reader.remaining));
    const updates: MemberUpdate[] = [];
    for (let i = 0; i < count; i++) {
      const kind = reader.readU8();
      const node = readNodeId(reader);
      const incarnation = reader.readBoundedVarint(MAX_INCARNATION);
      switch (kind) {
        case UpdateKind.Alive: {
          const address = readAddress(reader);
          updates.push(
            address === undefined
              ? { kind: 'alive', node, incarnation }
              : { kind: 'alive', node, incarnation, address },
          );
          break;
        }
        case UpdateKind.Suspect:
          updates.push({ kind: 'suspect', node, incarnation, from: readNodeId(reader) });
          break;
        case UpdateKind.Dead:
          updates.push({ kind: 'dead', node, incarnation, from: readNodeId(reader) });
          break;
        case UpdateKind.Left:
          updates.push({ kind: 'left', node, incarnation });
          break;
        default:
          reader.fail(`unknown update kind ${kind}`);
      }
    }
    return updates;
  });
}
