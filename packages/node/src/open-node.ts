import {
  Coordinator,
  type CoordinatorConfigInput,
  type Keyring,
  type KeyValueStore,
  type MembershipConfig,
  MemoryStore,
  type MessagePort,
  type NodeId,
  type PortSource,
  type Profile,
  type RandomPort,
  type Secret,
} from '@shoal/core';
import { type ObservabilityOptions, serveObservability } from '@shoal/observe';
import { LmdbStore, type LmdbStoreOptions } from '@shoal/storage-lmdb';
import {
  decodeUdpAddress,
  formatUdpAddress,
  UdpTransport,
  type UdpTransportOptions,
} from '@shoal/transport-udp';
import { NodeWebSocket, WsClient, WsHub, type WsHubOptions } from '@shoal/transport-ws';
import { nodeXChaCha20Poly1305 } from './node-aead.js';
import { nodeZlibCompression } from './node-compression.js';
import { nodeSha256 } from './node-sha256.js';
import { nodeEd25519 } from './node-signer.js';
import { nodeTimers } from './node-timers.js';

/** Options of {@link openNode}. Everything is optional: `openNode()` joins the LAN in open mode. */
export interface OpenNodeOptions {
  /** Where to keep state (LMDB). Without it state lives in memory and is gone with the process. */
  readonly dataDir?: string;
  /**
   * How to open `dataDir`'s LMDB store: durability, and what to do when its data is missing or
   * was replaced (by default both are refused with `DATA_MISSING` / `DATA_REPLACED`; see
   * docs/operations.md).
   */
  readonly storage?: LmdbStoreOptions;
  /**
   * An invite token (`shoal://network/…`), 32 secret bytes, or a passphrase-derived secret;
   * several of them during a key rotation (the first seals, all open); or a `Keyring` you keep
   * to rotate keys while the node runs. Without it the node runs in open mode: nothing is
   * encrypted or authenticated (`health().warnings` says so, and an `open-mode` event).
   */
  readonly secret?: Secret | readonly Secret[] | Keyring;
  /** The node's id; by default the one stored in `dataDir`, or a fresh random one. */
  readonly id?: string;
  /**
   * UDP options (port, interface, multicast group, bootstrap peers, …) except the node id, or
   * `false` for no UDP at all (a pure WebSocket hub or client).
   */
  readonly udp?: Omit<UdpTransportOptions, 'nodeId'> | false;
  /**
   * Makes this node a WebSocket hub: `{ listen: 8080 }` (its own server, optionally `host`) or
   * `{ server }` (your `http`/`https` server; TLS is yours), plus any `WsHub` tuning.
   */
  readonly ws?: Omit<WsHubOptions, 'nodeId' | 'hubs' | 'port'> & { readonly listen?: number };
  /**
   * Hub URLs. Without `ws` the node is a hub client: one connection at a time with failover,
   * and a membership leaf (ADR 0022). With `ws` they are the other hubs: this hub keeps a
   * connection to each and tells its clients about them.
   */
  readonly hubs?: readonly string[];
  /**
   * More transports beside UDP and WebSocket: `MessagePort`s, or functions opening one for the
   * node's id (as `Coordinator.create` takes them). The node owns and closes them.
   */
  readonly ports?: readonly PortSource[];
  readonly config?: CoordinatorConfigInput;
  /** SWIM tuning over the profile's preset, or `false` to run without SWIM (see `createNode`). */
  readonly membership?: Partial<MembershipConfig> | false;
  /** Membership and sync timing preset: `'lan'` (default), `'wan'` or `'local'` (see `PROFILES`). */
  readonly profile?: Profile;
  /**
   * Open a copied `dataDir` (a clone, a restored backup running beside the original) as a node
   * of its own: a new id, the data kept.
   */
  readonly newIdentity?: boolean;
  readonly random?: RandomPort;
  /**
   * Serve metrics, probes and the live dashboard over HTTP (`@shoal/observe`): e.g.
   * `{ port: 9464 }` for `http://127.0.0.1:9464/`. Loopback unless `host` says otherwise, which
   * then needs a `token`. The server closes with the node. For the URL of a server on port 0,
   * call `serveObservability` yourself.
   */
  readonly http?: ObservabilityOptions;
}

/**
 * Opens and starts a node on this machine the way most apps want it: UDP with multicast
 * discovery (zero configuration on a LAN), LMDB storage in `dataDir`, Node's clock, and
 * OpenSSL-backed sealing ({@link nodeXChaCha20Poly1305}) and zlib compression
 * ({@link nodeZlibCompression}). The node
 * owns the transport and the store: `node.dispose()` (or `await using`) closes both.
 *
 * @throws ShoalError as {@link Coordinator.create} and {@link LmdbStore.open} do (a locked or
 * foreign `dataDir`, a bad secret); nothing is left open when it throws.
 */
export async function openNode(options: OpenNodeOptions = {}): Promise<Coordinator> {
  const storage: KeyValueStore =
    options.dataDir === undefined
      ? new MemoryStore()
      : await LmdbStore.open(options.dataDir, options.storage);
  const opened: MessagePort[] = [];
  const open =
    (source: (nodeId: NodeId) => MessagePort | Promise<MessagePort>): PortSource =>
    async (nodeId) => {
      const port = await source(nodeId);
      opened.push(port);
      return port;
    };
  const { ws, hubs = [] } = options;
  const ports: PortSource[] = [];
  // The hub first: core sends through the first port to a peer it has not heard from yet.
  if (ws !== undefined) {
    const { listen, ...hub } = ws;
    ports.push(
      open((nodeId) =>
        WsHub.open({
          ...hub,
          ...(listen === undefined ? {} : { port: listen }),
          nodeId,
          hubs,
          timers: nodeTimers,
        }),
      ),
    );
  }
  if (options.udp !== false) {
    const udp = options.udp;
    ports.push(open((nodeId) => UdpTransport.open({ ...udp, nodeId })));
  }
  // A hub keeps a link to every other hub, so hubs form a mesh; a client holds one at a time.
  for (const list of ws === undefined ? (hubs.length > 0 ? [hubs] : []) : hubs.map((url) => [url])) {
    ports.push(
      open((nodeId) => new WsClient({ nodeId, hubs: list, WebSocket: NodeWebSocket, timers: nodeTimers })),
    );
  }
  for (const source of options.ports ?? [])
    ports.push(typeof source === 'function' ? open(source) : open(() => source));
  // A hub's client is a membership leaf (ADR 0022), unless SWIM is off altogether.
  const membership =
    ws === undefined && hubs.length > 0 && options.membership !== false
      ? { leaf: true, ...options.membership }
      : options.membership;
  try {
    const node = await Coordinator.create({
      ...(options.id === undefined ? {} : { id: options.id }),
      ports,
      timers: nodeTimers,
      aead: nodeXChaCha20Poly1305,
      compression: nodeZlibCompression,
      signer: nodeEd25519,
      sha256: nodeSha256,
      storage,
      ...(options.secret === undefined ? {} : { secret: options.secret }),
      // A hub serves whatever channels its clients use, not only the ones it opened itself.
      config: { joinChannelsOnDemand: ws !== undefined, ...options.config },
      ...(membership === undefined ? {} : { membership }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      ...(options.newIdentity === undefined ? {} : { newIdentity: options.newIdentity }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    await node.start();
    if (options.http !== undefined) await serveWith(node, options.http);
    return node;
  } catch (error) {
    await Promise.allSettled([...opened.map((port) => port.close()), storage.close()]);
    throw error;
  }
}

/** Starts the observability server of `node`, closed when the node is disposed. */
async function serveWith(node: Coordinator, options: ObservabilityOptions): Promise<void> {
  try {
    const server = await serveObservability(node, { formatAddress: udpAddressText, ...options });
    const unsubscribe = node.events.subscribe((event) => {
      if (event.type !== 'state' || event.state !== 'disposed') return;
      unsubscribe();
      void server.close();
    });
  } catch (error) {
    await node.dispose({ leave: false });
    throw error;
  }
}

/** A member's address as `ip:port` when it is a UDP address, else hex. */
function udpAddressText(bytes: Uint8Array): string {
  const decoded = decodeUdpAddress(bytes);
  return decoded.ok ? formatUdpAddress(decoded.value) : Buffer.from(bytes).toString('hex');
}
