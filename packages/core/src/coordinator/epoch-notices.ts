import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import type { TimerPort } from '../ports/timer-port.js';
import { MessageType } from '../protocol/message-type.js';
import type { MessageSealer } from '../security/message-sealer.js';
import { readAll } from '../wire/byte-reader.js';
import { ByteWriter } from '../wire/byte-writer.js';
import type { Courier } from './courier.js';
import type { ErrorReporter } from './error-reporter.js';
import { epochOperation } from './node-meta.js';

/** How long a peer is not told again that its boot epoch is stale, in monotonic ms. */
const NOTICE_INTERVAL = 10_000;
/** The largest jump of our own epoch a notice is believed for (no node restarts that often). */
const MAX_EPOCH_JUMP = 2 ** 20;

/** What the epoch notices need from the rest of the node. */
export interface EpochNoticeDeps {
  readonly timers: TimerPort;
  /** Most peers remembered as told (`limits.maxPeers`): the oldest is forgotten first. */
  readonly maxPeers: number;
  readonly sealer: MessageSealer;
  readonly writes: WriteQueue;
  readonly courier: Courier;
  readonly errors: ErrorReporter;
}

/**
 * Boot epochs restored from a backup, both ways (issue 14): a peer sealing with an epoch older
 * than one we saw from it is told so ({@link EpochNotices.tell}), and a notice that a peer saw
 * a newer epoch of ours than we seal with moves us past it ({@link EpochNotices.handle}), so a
 * node restored from an older copy is heard again instead of dropped as a replayer.
 *
 * Guarantees: at most one notice per peer per 10 s, sent only to the address already known for
 * the peer; our epoch moves only forward, by at most 2^20, and only once the new epoch is durable.
 */
export class EpochNotices {
  readonly #deps: EpochNoticeDeps;
  /** When each peer was last told its boot epoch is stale (monotonic ms). */
  readonly #told = new Map<NodeId, number>();

  constructor(deps: EpochNoticeDeps) {
    this.#deps = deps;
  }

  /**
   * A peer seals with a boot epoch older than `knownEpoch`, one we saw from it (it was restored
   * from a backup, or someone replays its old traffic): tell it, at most once per 10 s. The
   * notice goes to the address we already know for it, never to where the stale message came
   * from, so a replayer cannot aim it.
   */
  tell(peer: NodeId, knownEpoch: number): void {
    const now = this.#deps.timers.monotonic();
    const last = this.#told.get(peer);
    if (last !== undefined && now - last < NOTICE_INTERVAL) return;
    this.#told.set(peer, now);
    // Bounded like the peer directory: a flood of stale senders forgets the oldest told first.
    if (this.#told.size > this.#deps.maxPeers) {
      this.#told.delete(this.#told.keys().next().value as NodeId);
    }
    this.#deps.courier.send(
      peer,
      MessageType.EpochNotice,
      new ByteWriter(10).writeVarint(knownEpoch).finish(),
    );
  }

  /**
   * A peer has seen a newer boot epoch of ours than the one we seal with (not just the same
   * one): we were restored from a backup. Move past it (persisted first), so peers hear us
   * again. A jump of more than 2^20 epochs is not believed (a keyed peer must not exhaust ours).
   * A body that does not decode is counted as a bad message.
   */
  handle(from: NodeId, body: Uint8Array): void {
    const { courier, sealer } = this.#deps;
    const decoded = readAll(body, (reader) => reader.readBoundedVarint(Number.MAX_SAFE_INTEGER));
    if (!decoded.ok) {
      courier.badMessage(from, decoded.error);
      return;
    }
    const seen = decoded.value;
    const current = sealer.epoch;
    // A notice naming our current epoch answers an older message in our name (our own from
    // before a restart, still in flight, or a replay of it): peers hear us; nothing to move.
    if (seen <= current || seen - current > MAX_EPOCH_JUMP) return;
    const next = seen + 1;
    this.#deps.writes
      .write(epochOperation(next))
      .then(() => {
        sealer.raiseEpoch(next);
        courier.announce();
        this.#deps.errors.report(
          new ShoalError(
            ErrorCode.DataReplaced,
            `peer ${from} had seen boot epoch ${seen} of this node, above its own ${current}: this store was restored from an older copy; moved to epoch ${next}`,
          ),
        );
      })
      .catch(() => {});
  }
}
