import { ErrorCode, isNodeId, type NodeId, ShoalError } from '@shoal/core';
import { parseIpv4, parseIpv6 } from './address/ip.js';
import { type BootstrapTarget, parseBootstrap } from './discovery/bootstrap.js';
import { defaultInterfaceAddress } from './net/local-interface.js';
import type { PacingOptions } from './pacing/token-bucket.js';
import { frameOverhead } from './wire/frame.js';

/** LAN discovery over IP multicast. */
export interface MulticastOptions {
  /** Multicast group. Default {@link DEFAULT_MULTICAST_GROUP}, in the organisation-local scope. */
  readonly group?: string;
  /** UDP port of the group; every node of one network must use the same. Default {@link DEFAULT_MULTICAST_PORT}. */
  readonly port?: number;
  /** IPv4 address of the interface to join and send on. Default: the transport's `interface`. */
  readonly interface?: string;
}

/** LAN discovery by IPv4 broadcast, for LANs that filter multicast. */
export interface BroadcastOptions {
  /** Broadcast address: `255.255.255.255` (default) or a subnet's, e.g. `192.168.1.255`. */
  readonly address?: string;
  /**
   * UDP port announcements go to and are heard on; every node of one network must use the
   * same. Default: the multicast port ({@link DEFAULT_MULTICAST_PORT} unless set).
   */
  readonly port?: number;
}

/** Options of {@link UdpTransport.open}. Every field but `nodeId` has a safe default. */
export interface UdpTransportOptions {
  /** This node's id; stamped on every datagram as its (unauthenticated) sender. */
  readonly nodeId: NodeId;
  /** Unicast port; 0 (default) picks a free ephemeral port. */
  readonly port?: number;
  /**
   * Address the unicast socket binds to. Default `0.0.0.0` (all IPv4 interfaces). An IPv6
   * literal makes the transport IPv6 (unicast only unless `multicast` names an IPv6 group).
   */
  readonly host?: string;
  /**
   * IPv4 address of the LAN interface: the address advertised as {@link UdpTransport.localAddress}
   * when `host` is the wildcard, and the default multicast interface. Default: the first
   * non-internal IPv4 interface, else `127.0.0.1`.
   */
  readonly interface?: string;
  /** Multicast discovery, or `false` to disable it. Default on (IPv4) with the defaults above. */
  readonly multicast?: MulticastOptions | false;
  /**
   * Also discover by broadcast, for LANs that filter multicast: `true` for `255.255.255.255`,
   * a broadcast address, or {@link BroadcastOptions}. The transport then both announces to
   * that address and listens on its port (with or without multicast). IPv4 only. Default `false`.
   */
  readonly broadcast?: boolean | string | BroadcastOptions;
  /** Peers announced to directly, as `host:port` (networks without multicast). Default none. */
  readonly bootstrap?: readonly string[];
  /**
   * The address peers should use to reach this node, `ip:port`, when it is not the bound one:
   * behind a port mapping (a container, NAT) or a relay. It is what {@link UdpTransport.localAddress}
   * reports, so membership gossips it. Default: the bound address.
   */
  readonly advertise?: string;
  /** Mean announcement period in ms, jittered ±25 %. Default 1000. */
  readonly announceIntervalMs?: number;
  /** Announcement to send from the start; see {@link UdpTransport.setAnnouncement}. */
  readonly announcement?: Uint8Array;
  /**
   * Largest datagram in bytes, framing included. Default 1200: below the IPv6 minimum MTU
   * (1280) minus IP/UDP headers, so no datagram is ever fragmented on any path.
   */
  readonly maxDatagramSize?: number;
  /** Outbound pacing, or `false` to send as fast as the socket takes. Default {@link DEFAULT_PACING}. */
  readonly pacing?: PacingOptions | false;
  /** Bytes the send queue may hold before it drops new datagrams. Default 4 MiB. */
  readonly maxQueuedBytes?: number;
  /** SO_RCVBUF / SO_SNDBUF requested; the OS may cap it (Linux: net.core.rmem_max). Default 4 MiB. */
  readonly socketBufferBytes?: number;
  /** Distinct senders remembered for `onPeer('up')`; bounds memory under spoofed ids. Default 4096. */
  readonly maxTrackedPeers?: number;
}

/** Default multicast group (organisation-local scope 239.255/16, RFC 2365). */
export const DEFAULT_MULTICAST_GROUP = '239.255.77.77';
/** Default multicast port (unassigned by IANA). */
export const DEFAULT_MULTICAST_PORT = 47477;
/**
 * Default pacing: 8 KiB/ms (~65 Mbit/s) sustained, 64 KiB bursts. A 64 KiB burst of
 * 1200-byte datagrams costs ~110 KiB of kernel memory at the receiver, within Linux's default
 * 208 KiB SO_RCVBUF even when the receiver could not enlarge it; the rate stays below what a
 * Raspberry Pi's event loop drains.
 */
export const DEFAULT_PACING: PacingOptions = { bytesPerMs: 8192, burstBytes: 65536 };

/** Options after defaults and validation. */
export interface ResolvedOptions {
  readonly nodeId: NodeId;
  readonly family: 4 | 6;
  readonly host: string;
  readonly port: number;
  /** Host advertised in `localAddress` (an IP literal, never a wildcard). */
  readonly advertisedHost: string;
  /** Port advertised in `localAddress`; undefined: the bound port. */
  readonly advertisedPort: number | undefined;
  readonly multicast:
    | { readonly group: string; readonly port: number; readonly interface: string }
    | undefined;
  readonly broadcast: { readonly address: string; readonly port: number } | undefined;
  readonly bootstrap: readonly BootstrapTarget[];
  readonly announceIntervalMs: number;
  readonly announcement: Uint8Array | undefined;
  readonly maxDatagramSize: number;
  readonly pacing: PacingOptions | undefined;
  readonly maxQueuedBytes: number;
  readonly socketBufferBytes: number;
  readonly maxTrackedPeers: number;
}

/** Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP). */
const MAX_UDP_PAYLOAD = 65507;

function resolveAdvertised(
  advertise: string | undefined,
  family: 4 | 6,
  bound: string,
): { advertisedHost: string; advertisedPort: number | undefined } {
  if (advertise === undefined) return { advertisedHost: bound, advertisedPort: undefined };
  const { host, port } = parseBootstrap(advertise);
  const literal = family === 4 ? parseIpv4(host) : parseIpv6(host);
  if (literal === undefined) invalid('advertise', `${advertise} (an IPv${family} address and port)`);
  return { advertisedHost: host, advertisedPort: port };
}

/**
 * Applies defaults and validates every option.
 *
 * @throws ShoalError `INVALID_ARGUMENT` naming the first bad option.
 */
export function resolveOptions(options: UdpTransportOptions): ResolvedOptions {
  if (!isNodeId(options.nodeId)) invalid('nodeId', options.nodeId);
  const host = options.host ?? '0.0.0.0';
  const family =
    parseIpv4(host) !== undefined ? 4 : parseIpv6(host) !== undefined ? 6 : invalid('host', host);
  const wildcard = host === '0.0.0.0' || (family === 6 && parseIpv6(host)?.every((byte) => byte === 0));
  if (family === 6 && wildcard) invalid('host', `${host} (bind IPv6 to a specific address)`);
  const iface = options.interface ?? defaultInterfaceAddress();
  if (parseIpv4(iface) === undefined) invalid('interface', iface);
  const maxDatagramSize = integer(
    'maxDatagramSize',
    options.maxDatagramSize ?? 1200,
    frameOverhead(options.nodeId) + 1,
    MAX_UDP_PAYLOAD,
  );
  return {
    nodeId: options.nodeId,
    family,
    host,
    port: integer('port', options.port ?? 0, 0, 0xffff),
    ...resolveAdvertised(options.advertise, family, wildcard ? iface : host),
    multicast: resolveMulticast(options.multicast, family, iface),
    broadcast: resolveBroadcast(options.broadcast, family, options.multicast),
    bootstrap: (options.bootstrap ?? []).map(parseBootstrap),
    announceIntervalMs: integer('announceIntervalMs', options.announceIntervalMs ?? 1000, 10, 3_600_000),
    announcement: options.announcement?.slice(),
    maxDatagramSize,
    pacing: resolvePacing(options.pacing),
    maxQueuedBytes: integer(
      'maxQueuedBytes',
      options.maxQueuedBytes ?? 4 * 1024 * 1024,
      maxDatagramSize,
      2 ** 31,
    ),
    socketBufferBytes: integer(
      'socketBufferBytes',
      options.socketBufferBytes ?? 4 * 1024 * 1024,
      1024,
      2 ** 30,
    ),
    maxTrackedPeers: integer('maxTrackedPeers', options.maxTrackedPeers ?? 4096, 1, 2 ** 24),
  };
}

function resolveMulticast(
  multicast: MulticastOptions | false | undefined,
  family: 4 | 6,
  iface: string,
): ResolvedOptions['multicast'] {
  // The default group is IPv4; an IPv6 transport discovers peers only if told which group.
  if (multicast === false || (multicast === undefined && family === 6)) return undefined;
  const group = multicast?.group ?? DEFAULT_MULTICAST_GROUP;
  const groupFamily = parseIpv4(group) !== undefined ? 4 : parseIpv6(group) !== undefined ? 6 : undefined;
  if (groupFamily !== family) invalid('multicast.group', `${group} (must be an IPv${family} literal)`);
  const groupInterface = multicast?.interface ?? (family === 4 ? iface : '');
  if (family === 4 && parseIpv4(groupInterface) === undefined) invalid('multicast.interface', groupInterface);
  return {
    group,
    port: integer('multicast.port', multicast?.port ?? DEFAULT_MULTICAST_PORT, 1, 0xffff),
    interface: groupInterface,
  };
}

function resolveBroadcast(
  broadcast: boolean | string | BroadcastOptions | undefined,
  family: 4 | 6,
  multicast: MulticastOptions | false | undefined,
): ResolvedOptions['broadcast'] {
  if (broadcast === undefined || broadcast === false) return undefined;
  if (family === 6) invalid('broadcast', 'IPv6 has no broadcast; use multicast');
  const given = typeof broadcast === 'object' ? broadcast : {};
  const address = typeof broadcast === 'string' ? broadcast : (given.address ?? '255.255.255.255');
  if (parseIpv4(address) === undefined) invalid('broadcast', address);
  const fallbackPort = (multicast === false ? undefined : multicast?.port) ?? DEFAULT_MULTICAST_PORT;
  return { address, port: integer('broadcast.port', given.port ?? fallbackPort, 1, 0xffff) };
}

function resolvePacing(pacing: PacingOptions | false | undefined): PacingOptions | undefined {
  if (pacing === false) return undefined;
  const { bytesPerMs, burstBytes } = pacing ?? DEFAULT_PACING;
  if (!(bytesPerMs > 0 && Number.isFinite(bytesPerMs))) invalid('pacing.bytesPerMs', bytesPerMs);
  if (!(burstBytes > 0 && Number.isFinite(burstBytes))) invalid('pacing.burstBytes', burstBytes);
  return { bytesPerMs, burstBytes };
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    invalid(name, `${value} (expected ${min}-${max})`);
  return value;
}

function invalid(name: string, value: unknown): never {
  throw new ShoalError(ErrorCode.InvalidArgument, `invalid UdpTransport option ${name}: ${String(value)}`, {
    details: { option: name },
  });
}
