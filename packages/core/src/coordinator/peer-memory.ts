import type { NodeId } from '../ids/node-id.js';
import { nodeMetaKey } from '../persistence/storage-keys.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import type { TimerPort } from '../ports/timer-port.js';
import { readNodeId, writeNodeId } from '../protocol/node-id-codec.js';
import { decodeDigest, encodeDigest } from '../protocol/sync-codec.js';
import { addDigestObjects, type ClockSet, toDigestObjects } from '../sync/clock-set.js';
import type { DigestMemory, SharedBase } from '../sync/digest-memory.js';
import { type DecodeResult, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { PeriodicSave } from './periodic-save.js';

const KEY = nodeMetaKey('peer-memory');
/** How often the peer memory is saved while it changes, in ms (and once more at stop). */
export const PEER_MEMORY_SAVE_INTERVAL = 30_000;
/** Largest record kept: a bigger memory is not saved (the next contacts cost a full digest). */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;
const MAX_BASES = 65_536;

/**
 * Encodes shared bases as one record: a count, then per base the peer, a received flag and the
 * clock set as a whole digest body (docs/protocol.md §6.2, full writer ids).
 */
export function encodePeerMemory(bases: readonly SharedBase[]): Uint8Array {
  const writer = new ByteWriter(1024);
  writer.writeVarint(bases.length);
  for (const base of bases) {
    writeNodeId(writer, base.peer);
    writer.writeU8(base.received ? 1 : 0);
    const digest = encodeDigest(
      {
        type: 'digest',
        channel: base.channel,
        reply: false,
        fresh: false,
        scopeFrom: '',
        scopeTo: null,
        objects: toDigestObjects(base.clocks),
      },
      undefined,
    );
    writer.writeBytes(digest);
  }
  return writer.finish();
}

/** Decodes {@link encodePeerMemory}; total and bounded on any bytes. */
export function decodePeerMemory(bytes: Uint8Array): DecodeResult<SharedBase[]> {
  return readAll(bytes, (reader) => {
    const count = reader.readBoundedVarint(MAX_BASES);
    const bases: SharedBase[] = [];
    for (let i = 0; i < count; i++) {
      const peer: NodeId = readNodeId(reader);
      const received = reader.readU8() === 1;
      const digest = decodeDigest(reader.readBytes(reader.remaining));
      if (!digest.ok) throw new RangeError(digest.error);
      const clocks: ClockSet = new Map();
      addDigestObjects(clocks, digest.value.objects);
      bases.push({ channel: digest.value.channel, peer, received, clocks });
    }
    return bases;
  });
}

/**
 * Keeps what each peer and this node last told each other (the digest bases, issue 20) across
 * restarts: restored at create, saved every {@link PEER_MEMORY_SAVE_INTERVAL} ms while it changes
 * and once more at stop. After a graceful restart the first digest each way names a set the
 * other side still holds and carries only what changed, as a live reconnect does; after a crash
 * the saved sets may be older than the ones peers hold, which costs one `unknownBase` round and
 * a full digest, as every restart did before. A damaged record is ignored.
 */
export class PeerMemoryKeeper extends PeriodicSave {
  constructor(memory: DigestMemory, writes: WriteQueue, timers: TimerPort) {
    super(
      {
        key: KEY,
        version: () => memory.version,
        encode: () => {
          const bytes = encodePeerMemory(memory.sharedBases());
          return bytes.length <= MAX_RECORD_BYTES ? bytes : encodePeerMemory([]);
        },
        restore: (bytes) => {
          const bases = decodePeerMemory(bytes);
          if (bases.ok) memory.restoreBases(bases.value);
        },
      },
      writes,
      timers,
      PEER_MEMORY_SAVE_INTERVAL,
    );
  }
}
