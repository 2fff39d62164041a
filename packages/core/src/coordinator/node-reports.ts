import type { NodeId } from '../ids/node-id.js';
import type { WriteQueue } from '../persistence/write-queue.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import type { MessageSealer } from '../security/message-sealer.js';
import { type ChannelState, countObjects } from './channel-state.js';
import type { Courier } from './courier.js';
import type { ErrorReporter } from './error-reporter.js';
import type { NodeHealth, NodeState, NodeStats, ResourceUsage } from './node-types.js';
import type { PeerDirectory } from './peer-directory.js';
import type { MembershipService } from './peer-list-membership.js';
import type { SyncEngine } from './sync-engine.js';

/** The standing warning of a node without a secret: in `health().warnings` and the `open-mode` event. */
export const OPEN_MODE_WARNING =
  'no secret given: messages are neither encrypted nor authenticated (open mode)';

/** The subsystems the reports read. */
export interface NodeReportDeps {
  readonly id: NodeId;
  /** The node's lifecycle state, owned by the facade. */
  readonly state: () => NodeState;
  readonly errors: ErrorReporter;
  readonly sealer: MessageSealer;
  readonly peers: PeerDirectory;
  readonly courier: Courier;
  readonly membership: MembershipService;
  readonly engine: SyncEngine;
  readonly writes: WriteQueue;
  readonly storage: KeyValueStore;
  readonly channels: ReadonlyMap<string, ChannelState>;
}

/**
 * Assembles what the node reports about itself (`health()`, `stats()`, `resourceUsage()`) from
 * its subsystems. Guarantees: read-only (a report changes nothing in the node), computed at call
 * time, and a fresh object each call (the caller may keep or change it); the storage is not
 * asked once the node is disposed.
 */
export class NodeReports {
  readonly #deps: NodeReportDeps;

  constructor(deps: NodeReportDeps) {
    this.#deps = deps;
  }

  /** See `Coordinator.health`: healthy means running with no storage error seen. */
  health(): NodeHealth {
    const { sealer, courier } = this.#deps;
    const state = this.#deps.state();
    const errors = this.#deps.errors.counts();
    return {
      id: this.#deps.id,
      state,
      healthy: state === 'running' && !('STORAGE' in errors),
      mode: sealer.mode,
      peers: this.#deps.peers.live().length,
      sealing: sealer.stats(),
      errors,
      badMessages: courier.badMessages,
      throttled: courier.throttled,
      unpaired: courier.unpaired,
      refusedKeys: courier.refusedKeys,
      warnings: sealer.mode === 'open' ? [OPEN_MODE_WARNING] : [],
    };
  }

  /** See `Coordinator.stats`. */
  stats(): NodeStats {
    return { traffic: this.#deps.courier.traffic.snapshot(), membership: this.#deps.membership.stats() };
  }

  /** See `Coordinator.resourceUsage`. */
  resourceUsage(): ResourceUsage {
    const { channels } = this.#deps;
    // A disposed node has closed its storage: asking it then could throw.
    const storage = this.#deps.state() === 'disposed' ? undefined : this.#deps.storage.stats?.();
    return {
      channels: channels.size,
      ...countObjects(channels.values()),
      pendingWrites: this.#deps.writes.pending,
      peers: this.#deps.peers.live().length,
      sync: { ...this.#deps.engine.stats },
      ...(storage === undefined ? {} : { storage }),
    };
  }
}
