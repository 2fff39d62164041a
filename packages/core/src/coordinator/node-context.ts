import type { Hlc } from '../clock/hlc.js';
import type { StreamEntry } from '../crdt/event-log.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import type { CoordinatorConfig } from './config.js';

/**
 * What a node lends its channels, maps and streams: identity, clock, durable writes, eager
 * push and error reporting. Internal; it keeps the data objects free of the node's wiring.
 */
export interface NodeContext {
  readonly self: NodeId;
  readonly hlc: Hlc;
  readonly config: CoordinatorConfig;
  readonly writes: WriteQueue;
  /**
   * `peer`'s public key as messages to it are sealed for (never in open mode): bound by a message
   * that opened under it, or offered by its hello; only its holder can read what is sent to it.
   */
  keyOf(peer: NodeId): Uint8Array | undefined;
  /** The next local change sequence number (the cursor of every `watch()`). */
  nextChangeSeq(): number;
  /** Local writes became durable: push them to a few peers soon. */
  pushLocal(
    channel: string,
    object:
      | { kind: 'map'; name: string; entries: MapEntry[] }
      | { kind: 'stream'; name: string; entries: StreamEntry[] },
  ): void;
  /** Reports an error on `node.errors` (rate-limited). */
  reportError(error: ShoalError): void;
  /** Throws `CLOSED` once the node is disposed. */
  assertOpen(): void;
}
