import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { ErrorCode, isNodeId, type NodeId, type RandomPort, ShoalError, type TimerPort } from '@shoal/core';
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_PAYLOAD, integerOption } from '../options.js';
import { MAX_DATA_OVERHEAD, MAX_HUB_URLS } from '../wire/frame.js';

/** Options of {@link WsHub.open}. Give `port` (its own server) or `server` (yours), not both. */
export interface WsHubOptions {
  /** This hub's node id (for a blind relay, any valid id: it is only a routing name). */
  readonly nodeId: string;
  /** Port to listen on (0: any free port). */
  readonly port?: number;
  /** Address to listen on with `port`. Default all interfaces. */
  readonly host?: string;
  /** An `http`/`https` server of yours to attach to (TLS is then yours). */
  readonly server?: HttpServer | HttpsServer;
  /** Only upgrade requests for this path are accepted. Default: any path. */
  readonly path?: string;
  /** Other hubs' URLs, told to clients in the welcome and on shutdown. */
  readonly hubs?: readonly string[];
  /**
   * A blind relay: it has no secret, so it cannot verify a hello. It binds a connection to the
   * id the client claims, forwards Data frames, and delivers nothing to `onMessage` (ADR 0021).
   */
  readonly blind?: boolean;
  readonly timers?: TimerPort;
  readonly random?: RandomPort;
  /** Largest payload `send` accepts. Default 64 KiB. */
  readonly maxMessageSize?: number;
  /** Largest WebSocket message accepted; larger closes the connection (1009). Default 1 MiB. */
  readonly maxPayload?: number;
  /** A connection not bound within this long is closed. Default 5000 ms. */
  readonly helloTimeoutMs?: number;
  /** A connection that sends more than this before it is bound is closed. Default 64 KiB. */
  readonly maxHelloBytes?: number;
  /** Period of WebSocket pings; a connection silent for a whole period is dropped. Default 15 000 ms. */
  readonly pingIntervalMs?: number;
  /** Data to a client waits above this many buffered bytes. Default 1 MiB. */
  readonly pauseAboveBytes?: number;
  /** A client's queue is dropped when its backlog would pass this. Default 4 MiB. */
  readonly dropAboveBytes?: number;
  /** A client's queue that has not moved for this long is dropped. Default 10 000 ms. */
  readonly stuckMs?: number;
  /** Most connections at once. Default 10 000. */
  readonly maxConnections?: number;
  /** Most connections at once from one remote address. Default 64. */
  readonly maxConnectionsPerAddress?: number;
  /** Peers on this hub each newcomer is introduced to (and they to it). Default 8; 0 disables. */
  readonly introductions?: number;
}

/** Options after defaults and validation. */
export interface ResolvedHubOptions {
  readonly nodeId: NodeId;
  readonly listen: { readonly port: number; readonly host: string | undefined } | undefined;
  readonly server: HttpServer | HttpsServer | undefined;
  readonly path: string | undefined;
  readonly hubs: readonly string[];
  readonly blind: boolean;
  readonly maxMessageSize: number;
  readonly maxPayload: number;
  readonly helloTimeoutMs: number;
  readonly maxHelloBytes: number;
  readonly pingIntervalMs: number;
  readonly pauseAboveBytes: number;
  readonly dropAboveBytes: number;
  readonly stuckMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly introductions: number;
}

/**
 * Applies defaults and validates.
 *
 * @throws ShoalError `INVALID_ARGUMENT` naming the first bad option.
 */
export function resolveHubOptions(options: WsHubOptions): ResolvedHubOptions {
  const nodeId = options.nodeId;
  if (!isNodeId(nodeId)) invalid('nodeId', nodeId);
  if ((options.port === undefined) === (options.server === undefined)) {
    invalid('port/server', 'give exactly one of them');
  }
  const hubs = options.hubs ?? [];
  if (hubs.length > MAX_HUB_URLS || hubs.some((url) => !/^wss?:\/\//.test(url)))
    invalid('hubs', hubs.join(' '));
  const int = (name: keyof WsHubOptions, fallback: number, min: number, max: number) =>
    integerOption('WsHub', name, options[name] as number | undefined, fallback, min, max);
  const maxPayload = int('maxPayload', DEFAULT_MAX_PAYLOAD, 1024, 2 ** 30);
  return {
    nodeId,
    listen: options.port === undefined ? undefined : { port: int('port', 0, 0, 0xffff), host: options.host },
    server: options.server,
    path: options.path,
    hubs,
    blind: options.blind ?? false,
    maxMessageSize: int(
      'maxMessageSize',
      Math.min(DEFAULT_MAX_MESSAGE_SIZE, maxPayload - MAX_DATA_OVERHEAD),
      1,
      maxPayload - MAX_DATA_OVERHEAD,
    ),
    maxPayload,
    helloTimeoutMs: int('helloTimeoutMs', 5000, 1, 600_000),
    maxHelloBytes: int('maxHelloBytes', 64 * 1024, 1, maxPayload),
    pingIntervalMs: int('pingIntervalMs', 15_000, 1, 3_600_000),
    pauseAboveBytes: int('pauseAboveBytes', 1024 * 1024, 0, 2 ** 31),
    dropAboveBytes: int('dropAboveBytes', 4 * 1024 * 1024, 0, 2 ** 31),
    stuckMs: int('stuckMs', 10_000, 1, 3_600_000),
    maxConnections: int('maxConnections', 10_000, 1, 2 ** 24),
    maxConnectionsPerAddress: int('maxConnectionsPerAddress', 64, 1, 2 ** 24),
    introductions: int('introductions', 8, 0, 64),
  };
}

function invalid(name: string, value: unknown): never {
  throw new ShoalError(ErrorCode.InvalidArgument, `invalid WsHub option ${name}: ${String(value)}`, {
    details: { option: name },
  });
}
