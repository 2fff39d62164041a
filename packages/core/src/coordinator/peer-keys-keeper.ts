import type { NodeId } from '../ids/node-id.js';
import { nodeMetaKey } from '../persistence/storage-keys.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import { SIGNING_PUBLIC_KEY_BYTES } from '../ports/signer.js';
import type { TimerPort } from '../ports/timer-port.js';
import { readNodeId, writeNodeId } from '../protocol/node-id-codec.js';
import type { PeerKeys } from '../security/peer-keys.js';
import { type DecodeResult, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { PeriodicSave } from './periodic-save.js';

const KEY = nodeMetaKey('peer-keys');
/** How often the bindings are saved while they change, in ms (and once more at stop). */
export const PEER_KEYS_SAVE_INTERVAL = 30_000;
/** Most bindings kept: the most recently heard (the peer table holds at most 4096). */
const MAX_BINDINGS = 4096;

/** Encodes bindings as one record: a count, then per binding the node id and its 32-byte key. */
export function encodePeerKeys(bindings: ReadonlyArray<readonly [NodeId, Uint8Array]>): Uint8Array {
  const kept = bindings.slice(-MAX_BINDINGS);
  const writer = new ByteWriter(64 * kept.length + 8);
  writer.writeVarint(kept.length);
  for (const [peer, publicKey] of kept) {
    writeNodeId(writer, peer);
    writer.writeRaw(publicKey);
  }
  return writer.finish();
}

/** Decodes {@link encodePeerKeys}; total and bounded on any bytes. */
export function decodePeerKeys(bytes: Uint8Array): DecodeResult<Array<[NodeId, Uint8Array]>> {
  return readAll(bytes, (reader) => {
    const count = reader.readBoundedVarint(MAX_BINDINGS);
    const bindings: Array<[NodeId, Uint8Array]> = [];
    for (let i = 0; i < count; i++) {
      const peer = readNodeId(reader);
      bindings.push([peer, reader.readRaw(SIGNING_PUBLIC_KEY_BYTES).slice()]);
    }
    return bindings;
  });
}

/**
 * Keeps which key each peer id is bound to (ADR 0045) across restarts: restored at create, saved
 * every {@link PEER_KEYS_SAVE_INTERVAL} ms while bindings change and once more at stop. A node
 * that restarts then opens its peers' first messages at once (no `unknown-peer-key` drop and
 * hello round trip per peer), and an impostor cannot bind a known peer's id in the seconds after
 * the restart, before the real peer speaks. A damaged record is ignored (keys are learned again
 * by hellos, as on a first start).
 */
export class PeerKeysKeeper extends PeriodicSave {
  constructor(keys: PeerKeys, writes: WriteQueue, timers: TimerPort) {
    super(
      {
        key: KEY,
        version: () => keys.version,
        encode: () => encodePeerKeys(keys.bindings()),
        restore: (bytes) => {
          const bindings = decodePeerKeys(bytes);
          if (bindings.ok) keys.restoreBindings(bindings.value);
        },
      },
      writes,
      timers,
      PEER_KEYS_SAVE_INTERVAL,
    );
  }
}
