import { ErrorCode, ShoalError } from '@shoal/core';
import { type DecodeResult, decoded, rejected } from '../decode-result.js';
import { formatIp, isV4Mapped, parseIpv4, parseIpv6 } from './ip.js';

/** A UDP endpoint: an IP literal of one family and a port. */
export interface UdpAddress {
  readonly family: 4 | 6;
  /** IP literal (dotted quad, or eight uncompressed hex groups for IPv6). */
  readonly host: string;
  readonly port: number;
}

/** Encoded length of an IPv4 {@link UdpAddress}: family byte, 4 address bytes, 2 port bytes. */
export const UDP_ADDRESS_V4_LENGTH = 7;
/** Encoded length of an IPv6 {@link UdpAddress}: family byte, 16 address bytes, 2 port bytes. */
export const UDP_ADDRESS_V6_LENGTH = 19;

/**
 * Builds a {@link UdpAddress} from an IP literal and port, or `undefined` when `host` is not
 * an IP literal or `port` is not 1-65535. IPv4-mapped IPv6 literals become IPv4, so a peer
 * seen through a dual-stack socket has one address, not two.
 */
export function udpAddress(host: string, port: number): UdpAddress | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) return undefined;
  const v4 = parseIpv4(host);
  if (v4 !== undefined) return { family: 4, host: formatIp(v4), port };
  const v6 = parseIpv6(host);
  if (v6 === undefined) return undefined;
  if (isV4Mapped(v6)) return { family: 4, host: formatIp(v6.subarray(12)), port };
  return { family: 6, host: formatIp(v6), port };
}

/**
 * Encodes `address` as opaque bytes: `[family: 4 | 6][IP address bytes, network order]
 * [port: u16 big-endian]`, 7 bytes for IPv4 and 19 for IPv6. This is the `source` the
 * transport reports and the `localAddress` gossip carries; the numeric layout is part of the
 * wire protocol (only ever extended with new family bytes).
 *
 * @throws ShoalError `INVALID_ARGUMENT` when `address` is not an IP literal and valid port.
 */
export function encodeUdpAddress(address: UdpAddress): Uint8Array {
  const checked = udpAddress(address.host, address.port);
  const ip =
    checked === undefined
      ? undefined
      : checked.family === 4
        ? parseIpv4(checked.host)
        : parseIpv6(checked.host);
  if (checked === undefined || ip === undefined) {
    throw new ShoalError(ErrorCode.InvalidArgument, `not a UDP address: ${address.host}:${address.port}`);
  }
  const bytes = new Uint8Array(1 + ip.length + 2);
  bytes[0] = checked.family;
  bytes.set(ip, 1);
  bytes[ip.length + 1] = checked.port >> 8;
  bytes[ip.length + 2] = checked.port & 0xff;
  return bytes;
}

/**
 * Decodes bytes from {@link encodeUdpAddress}. Total: any input returns a result, and only
 * the exact lengths 7 and 19 with a matching family byte and a non-zero port decode.
 */
export function decodeUdpAddress(bytes: Uint8Array): DecodeResult<UdpAddress> {
  const family = bytes[0];
  if (family !== 4 && family !== 6) return rejected('unknown address family');
  const expected = family === 4 ? UDP_ADDRESS_V4_LENGTH : UDP_ADDRESS_V6_LENGTH;
  if (bytes.length !== expected) return rejected('wrong address length');
  const ip = bytes.subarray(1, expected - 2);
  const port = ((bytes[expected - 2] ?? 0) << 8) | (bytes[expected - 1] ?? 0);
  if (port === 0) return rejected('port 0');
  return decoded({ family, host: formatIp(ip), port });
}

/** `host:port`, or `[host]:port` for IPv6, for messages and logs. */
export function formatUdpAddress(address: UdpAddress): string {
  return address.family === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * True when `address` can be a unicast peer: not unspecified, multicast or limited
 * broadcast. Peer addresses come from gossip; refusing these keeps one bad member from
 * turning our unicast sends into floods.
 */
export function isUnicastAddress(address: UdpAddress): boolean {
  const ip = address.family === 4 ? parseIpv4(address.host) : parseIpv6(address.host);
  if (ip === undefined || ip.every((byte) => byte === 0)) return false;
  const first = ip[0] ?? 0;
  if (address.family === 6) return first !== 0xff;
  // 224/4 is multicast and 240/4 (which holds 255.255.255.255) is reserved or broadcast.
  return first < 224;
}
