import { type Coordinator, isShoalError } from '@shoal/core';
import { openNode } from '@shoal/node';
import type { UdpTransportOptions } from '@shoal/transport-udp';
import { CliError } from './cli-error.js';
import type { DataDir, NetworkConfig } from './data-dir.js';
import type { ListenAddress } from './listen-address.js';

/**
 * UDP options for a data dir's network settings. An explicit interface binds the unicast
 * socket to it too, so `--interface 127.0.0.1` keeps a node entirely on loopback.
 */
export function udpOptions(network: NetworkConfig, online: boolean): Omit<UdpTransportOptions, 'nodeId'> {
  if (!online) return { host: '127.0.0.1', multicast: false };
  return {
    ...(network.interface === undefined ? {} : { host: network.interface, interface: network.interface }),
    ...(network.port === undefined ? {} : { port: network.port }),
    multicast: {
      ...(network.multicastPort === undefined ? {} : { port: network.multicastPort }),
      ...(network.interface === undefined ? {} : { interface: network.interface }),
    },
    ...(network.bootstrap === undefined ? {} : { bootstrap: network.bootstrap }),
  };
}

/**
 * Opens the node of `dir` with its invite and network settings (`overrides` win). `online:
 * false` opens it with no discovery and no peers, for commands that only read local state.
 * `wsListen` makes it a WebSocket hub as well (the configured hubs are then its fellow hubs).
 * `whenLocked` ends the error a locked store gives (default: advice for one-shot commands).
 * @throws CliError `NOT_INITIALISED` for a directory without an invite, `LOCKED` when another
 * process (an agent or a REPL) holds the store.
 */
export async function openDirNode(
  dir: DataDir,
  options: {
    online: boolean;
    overrides?: NetworkConfig;
    wsListen?: ListenAddress;
    /** What to tell the user when another process holds the store (after its pid). */
    whenLocked?: string;
    /** Open the store as a node of its own: a new id and key (a copied or restored data dir). */
    newIdentity?: boolean;
  },
): Promise<Coordinator> {
  const secret = dir.readInvite();
  const network = { ...dir.readConfig().network, ...options.overrides };
  const { wsListen } = options;
  try {
    return await openNode({
      dataDir: dir.storePath,
      secret,
      udp: network.udp === false && options.online ? false : udpOptions(network, options.online),
      ...(options.online && network.hubs !== undefined ? { hubs: network.hubs } : {}),
      ...(wsListen === undefined
        ? {}
        : { ws: { listen: wsListen.port, ...(wsListen.host === undefined ? {} : { host: wsListen.host }) } }),
      // An agent serves every channel its peers use, so `get` on one node sees a write made
      // through another even if this node never touched that channel.
      config: { joinChannelsOnDemand: options.online },
      ...(network.profile === undefined ? {} : { profile: network.profile }),
      ...(options.newIdentity === true ? { newIdentity: true } : {}),
    });
  } catch (error) {
    if (isShoalError(error) && error.details?.reason === 'locked') {
      throw new CliError(
        'LOCKED',
        `data dir ${dir.path} is in use by process ${String(error.details.pid)}` +
          (options.whenLocked ??
            ', another shoal command; retry when it ends, or run `shoal agent` so that commands share one node'),
      );
    }
    throw error;
  }
}
