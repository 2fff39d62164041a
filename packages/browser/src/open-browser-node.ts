import {
  Coordinator,
  type CoordinatorConfigInput,
  type MembershipConfig,
  type MessagePort,
  type NodeId,
  type PortSource,
  type Profile,
  type RandomPort,
} from '@shoal/core';
import { type IndexedDbDurability, IndexedDbStore } from '@shoal/storage-indexeddb';
import { WsClient } from '@shoal/transport-ws/client';
import { browserTimers } from './browser-timers.js';

/**
 * Options of {@link openBrowserNode}. Everything is optional: `openBrowserNode()` opens a
 * durable, offline, open-mode replica in the IndexedDB database `shoal`.
 */
export interface OpenBrowserNodeOptions {
  /**
   * The IndexedDB database holding this node's state (of this origin). Default `'shoal'`. One
   * node may have it open at a time: a second tab opening the same name fails with `STORAGE`.
   */
  readonly dbName?: string;
  /** When IndexedDB writes resolve; see {@link IndexedDbDurability}. Default `'strict'`. */
  readonly durability?: IndexedDbDurability;
  /**
   * An invite token (`shoal://network/…`), 32 secret bytes, or a passphrase-derived secret.
   * Without it the node runs in open mode: nothing is encrypted or authenticated.
   */
  readonly secret?: string | Uint8Array;
  /**
   * The transports to sync over: `MessagePort`s, or functions opening one for this node's id
   * (as `Coordinator.create` takes them). Without any, the node is a durable local replica that
   * syncs nothing until it is reopened with a transport.
   */
  readonly ports?: readonly PortSource[];
  /**
   * WebSocket hub URLs (`wss://…` in production): the node holds one hub connection at a time
   * with the browser's own `WebSocket`, fails over between these and the hubs they announce
   * (backoff with full jitter; reconnects at once on `online` and focus), and is a membership
   * leaf (ADR 0022). Writes made while no hub is reachable are durable in IndexedDB and go out
   * through ordinary anti-entropy on reconnect.
   */
  readonly hubs?: readonly string[];
  /** The node's id; by default the one stored in `dbName`, or a fresh random one. */
  readonly id?: string;
  readonly config?: CoordinatorConfigInput;
  /** SWIM tuning over the profile's preset, or `false` to run without SWIM. */
  readonly membership?: Partial<MembershipConfig> | false;
  /** Timing preset: `'lan'`, `'wan'` (the default here: browsers reach hubs across networks) or `'local'`. */
  readonly profile?: Profile;
  /** Randomness for peer choice and jitter. Default: WebCrypto (`crypto.getRandomValues`). */
  readonly random?: RandomPort;
}

/**
 * Opens and starts a node in a browser tab or worker: state in IndexedDB
 * ({@link IndexedDbStore}), the page's clock ({@link browserTimers}), WebCrypto randomness, and
 * core's pure-JS defaults for sealing (`@noble/ciphers` XChaCha20-Poly1305) and compression
 * (`fflate`), over the transports in `ports`. The node owns the ports and the store:
 * `node.dispose()` (or `await using`) closes them all.
 *
 * @throws ShoalError as {@link Coordinator.create} and {@link IndexedDbStore.open} do (the
 * database open in another tab, a foreign database, a bad secret or option); nothing is left
 * open when it throws, the given ports included.
 */
export async function openBrowserNode(options: OpenBrowserNodeOptions = {}): Promise<Coordinator> {
  const hubs = options.hubs ?? [];
  const given: PortSource[] = [
    ...(options.ports ?? []),
    ...(hubs.length === 0 ? [] : [(nodeId: NodeId) => new WsClient({ nodeId, hubs })]),
  ];
  // A hub's client is a membership leaf, unless SWIM is off altogether.
  const membership =
    hubs.length > 0 && options.membership !== false
      ? { leaf: true, ...options.membership }
      : options.membership;
  const opened: MessagePort[] = given.filter((source): source is MessagePort => typeof source !== 'function');
  let failed = false;
  const closeAll = () => {
    failed = true;
    return Promise.allSettled(opened.map((port) => port.close()));
  };
  let storage: IndexedDbStore;
  try {
    storage = await IndexedDbStore.open(
      options.dbName ?? 'shoal',
      options.durability === undefined ? {} : { durability: options.durability },
    );
  } catch (error) {
    await closeAll();
    throw error;
  }
  let node: Coordinator;
  try {
    node = await Coordinator.create({
      ...(options.id === undefined ? {} : { id: options.id }),
      // Remember each port a function opens, so a failure below can close it too.
      ports: given.map((source) =>
        typeof source === 'function'
          ? async (id: NodeId) => {
              const port = await source(id);
              opened.push(port);
              // Opened after another port failed and everything was closed: close it too.
              if (failed) await port.close();
              return port;
            }
          : source,
      ),
      timers: browserTimers,
      storage,
      ...(options.secret === undefined ? {} : { secret: options.secret }),
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(membership === undefined ? {} : { membership }),
      profile: options.profile ?? 'wan',
      ...(options.random === undefined ? {} : { random: options.random }),
    });
  } catch (error) {
    await Promise.allSettled([closeAll(), storage.close()]);
    throw error;
  }
  try {
    await node.start();
  } catch (error) {
    await node.dispose();
    throw error;
  }
  return node;
}
