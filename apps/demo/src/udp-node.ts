import { Coordinator, type KeyValueStore, MemoryStore, parseNodeId } from '@shoal/core';
import { nodeEd25519, nodeSha256, nodeTimers, nodeXChaCha20Poly1305, nodeZlibCompression } from '@shoal/node';
import { LmdbStore } from '@shoal/storage-lmdb';
import { UdpTransport } from '@shoal/transport-udp';

/** How to start one node on this machine over UDP. */
export interface UdpNodeOptions {
  /** The node's id. The transport stamps it on datagrams, so it must be known before the node exists. */
  readonly id: string;
  /** An invite token (`shoal://…`): seals every message and names the network. */
  readonly secret: string;
  /** The multicast group port nodes of one demo share; a private one keeps runs apart. */
  readonly multicastPort: number;
  /** LMDB directory; without one the node keeps its state in memory only. */
  readonly dataDir?: string;
  /** Mean period between discovery announcements. Default 250 ms: quick discovery on loopback. */
  readonly announceIntervalMs?: number;
  /**
   * Reach the others through a relay (the soak's {@link ChaosRelay}) instead of multicast: bind
   * `port`, advertise the relay's face for this node, announce to the others' faces.
   */
  readonly relay?: {
    readonly port: number;
    readonly advertise: string;
    readonly bootstrap: readonly string[];
  };
  /** The address to bind. Default 127.0.0.1 (a soak's namespace host has its own). */
  readonly host?: string;
  /** Added to the wall clock the node sees, in ms (the soak's clock-skew fault); read at each use. */
  readonly clockSkew?: () => number;
}

/** A started node with the transport it owns (for its counters). */
export interface UdpNode {
  readonly node: Coordinator;
  readonly transport: UdpTransport;
}

/**
 * Opens a node bound to 127.0.0.1 (or `host`) on an ephemeral port, discovering peers by multicast on the
 * loopback interface (TTL 1: nothing leaves this machine), and starts it. `node.dispose()`
 * closes the transport and the store too.
 */
export async function startUdpNode(options: UdpNodeOptions): Promise<UdpNode> {
  const id = parseNodeId(options.id);
  const { clockSkew } = options;
  const storage: KeyValueStore =
    options.dataDir === undefined ? new MemoryStore() : await LmdbStore.open(options.dataDir);
  let transport: UdpTransport;
  try {
    const { relay } = options;
    const host = options.host ?? '127.0.0.1';
    transport = await UdpTransport.open({
      nodeId: id,
      host,
      interface: host,
      ...(relay === undefined
        ? { multicast: { port: options.multicastPort, interface: '127.0.0.1' } }
        : { multicast: false, port: relay.port, advertise: relay.advertise, bootstrap: relay.bootstrap }),
      announceIntervalMs: options.announceIntervalMs ?? 250,
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
  try {
    const node = await Coordinator.create({
      id,
      port: transport,
      timers:
        clockSkew === undefined ? nodeTimers : { ...nodeTimers, now: () => nodeTimers.now() + clockSkew() },
      storage,
      secret: options.secret,
      // OpenSSL and zlib, as openNode wires them: the pure-JS defaults (for browsers) cost a
      // node process about 2 ms per stream proof it verifies, which on a shared machine was a
      // sixth of the soak's writes (docs/benchmarks.md).
      aead: nodeXChaCha20Poly1305,
      compression: nodeZlibCompression,
      signer: nodeEd25519,
      sha256: nodeSha256,
    });
    await node.start();
    return { node, transport };
  } catch (error) {
    await Promise.all([transport.close(), storage.close()]);
    throw error;
  }
}
