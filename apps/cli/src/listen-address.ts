import { InvalidArgumentError } from 'commander';

/** An address to listen on: a port, and an interface (absent: every interface). */
export interface ListenAddress {
  readonly host?: string;
  readonly port: number;
}

/**
 * Parses `PORT`, `:PORT`, `HOST:PORT` or `[IPV6]:PORT` (how servers are usually told where to
 * listen; `:8080` means every interface). Throws commander's InvalidArgumentError, which it
 * reports as a usage error naming the option.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (match === null || port > 65535) {
    throw new InvalidArgumentError('expected PORT, :PORT or HOST:PORT (e.g. :8080, 127.0.0.1:8080)');
  }
  const host = match[1]?.replace(/^\[(.*)\]$/, '$1');
  return host === undefined || host === '' ? { port } : { host, port };
}
