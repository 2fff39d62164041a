import {
  Coordinator,
  type CoordinatorConfigInput,
  type KeyValueStore,
  type MembershipConfig,
  MemoryStore,
  type Profile,
  type RandomPort,
} from '@shoal/core';
import { LmdbStore } from '@shoal/storage-lmdb';
import { UdpTransport, type UdpTransportOptions } from '@shoal/transport-udp';
import { nodeXChaCha20Poly1305 } from './node-aead.js';
import { nodeZlibCompression } from './node-compression.js';
import { nodeTimers } from './node-timers.js';

/** Options of {@link openNode}. Everything is optional: `openNode()` joins the LAN in open mode. */
export interface OpenNodeOptions {
  /** Where to keep state (LMDB). Without it state lives in memory and is gone with the process. */
  readonly dataDir?: string;
  /**
   * An invite token (`shoal://network/…`), 32 secret bytes, or a passphrase-derived secret.
   * Without it the node runs in open mode: nothing is encrypted or authenticated.
   */
  readonly secret?: string | Uint8Array;
  /** The node's id; by default the one stored in `dataDir`, or a fresh random one. */
  readonly id?: string;
  /** UDP options (port, interface, multicast group, bootstrap peers, …) except the node id. */
  readonly udp?: Omit<UdpTransportOptions, 'nodeId'>;
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
    options.dataDir === undefined ? new MemoryStore() : await LmdbStore.open(options.dataDir);
  let transport: UdpTransport | undefined;
  try {
    const node = await Coordinator.create({
      ...(options.id === undefined ? {} : { id: options.id }),
      port: async (nodeId) => {
        transport = await UdpTransport.open({ ...options.udp, nodeId });
        return transport;
      },
      timers: nodeTimers,
      aead: nodeXChaCha20Poly1305,
      compression: nodeZlibCompression,
      storage,
      ...(options.secret === undefined ? {} : { secret: options.secret }),
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(options.membership === undefined ? {} : { membership: options.membership }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      ...(options.newIdentity === undefined ? {} : { newIdentity: options.newIdentity }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    await node.start();
    return node;
  } catch (error) {
    await Promise.allSettled([transport?.close(), storage.close()]);
    throw error;
  }
}
