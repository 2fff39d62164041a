import type { NodeId } from '../ids/node-id.js';
import { nodeMetaKey } from '../persistence/storage-keys.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import type { TimerPort } from '../ports/timer-port.js';
import { readNodeId, writeNodeId } from '../protocol/node-id-codec.js';
import type { MessageSealer } from '../security/message-sealer.js';
import { type DecodeResult, readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { PeriodicSave } from './periodic-save.js';

/** Each peer's newest (epoch, counter) heard: below it, its traffic is a replay. */
export interface ReplayFloor {
  readonly sender: NodeId;
  readonly epoch: number;
  readonly counter: number;
}

const KEY = nodeMetaKey('replay-floors');
/** How often the floors are saved while traffic arrives, in ms. */
export const REPLAY_FLOOR_SAVE_INTERVAL = 5000;
/** Most floors a record holds (the sealer remembers at most this many senders by default). */
const MAX_FLOORS = 65_536;

/** Encodes floors as one record: a count, then per floor the sender, epoch and counter. */
export function encodeReplayFloors(floors: readonly ReplayFloor[]): Uint8Array {
  const writer = new ByteWriter(16 + floors.length * 32);
  writer.writeVarint(floors.length);
  for (const floor of floors) {
    writeNodeId(writer, floor.sender);
    writer.writeVarint(floor.epoch).writeVarint(floor.counter);
  }
  return writer.finish();
}

/** Decodes {@link encodeReplayFloors}; total and bounded on any bytes. */
export function decodeReplayFloors(bytes: Uint8Array): DecodeResult<ReplayFloor[]> {
  return readAll(bytes, (reader) => {
    const count = reader.readBoundedVarint(MAX_FLOORS);
    const floors: ReplayFloor[] = [];
    for (let i = 0; i < count; i++) {
      const sender = readNodeId(reader);
      floors.push({
        sender,
        epoch: reader.readBoundedVarint(Number.MAX_SAFE_INTEGER),
        counter: reader.readBoundedVarint(Number.MAX_SAFE_INTEGER),
      });
    }
    return floors;
  });
}

/**
 * Keeps the sealer's replay windows across restarts (issue 14): at start the saved floors are
 * restored, so a datagram captured before a restart is still a replay after it (and cannot
 * re-point a peer's address to whoever replays it); while running they are saved every
 * {@link REPLAY_FLOOR_SAVE_INTERVAL} ms when traffic arrived, and once more at stop. After a
 * crash, only what peers sent in the last interval could be replayed once; every message is
 * idempotent, so that costs work, not data. A damaged record is ignored: the node starts with
 * empty windows, as before this existed.
 */
export class ReplayFloorKeeper extends PeriodicSave {
  constructor(sealer: MessageSealer, writes: WriteQueue, timers: TimerPort) {
    super(
      {
        key: KEY,
        version: () => sealer.stats().opened,
        encode: () => encodeReplayFloors(sealer.replayFloors()),
        restore: (bytes) => {
          const floors = decodeReplayFloors(bytes);
          if (floors.ok) sealer.restoreReplayFloors(floors.value);
        },
      },
      writes,
      timers,
      REPLAY_FLOOR_SAVE_INTERVAL,
    );
  }
}
