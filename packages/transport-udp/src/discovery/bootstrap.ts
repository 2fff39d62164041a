import { ErrorCode, ShoalError } from '@shoal/core';

/** A bootstrap peer: a host name or IP literal and a port, as given by the user. */
export interface BootstrapTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port`, `[ipv6]:port` or a bare IPv6 literal with port in brackets. Host names
 * are kept as text: the socket resolves them at each send, so a bootstrap peer whose address
 * changes is still found.
 *
 * @throws ShoalError `INVALID_ARGUMENT` when the text has no host or a port outside 1-65535.
 */
export function parseBootstrap(text: string): BootstrapTarget {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 0xffff) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `bootstrap peer must be host:port, got ${JSON.stringify(text)}`,
    );
  }
  return { host, port };
}
