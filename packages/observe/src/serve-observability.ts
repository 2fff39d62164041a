import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { type Coordinator, ErrorCode, ShoalError } from '@shoal/core';
import { type AddressFormat, clusterView, hexAddress } from './cluster-view.js';
import { EventFeed } from './event-feed.js';
import { nodeMetrics } from './metrics.js';

/** Options of {@link serveObservability}. */
export interface ObservabilityOptions {
  /** Port to listen on; 0 picks a free one. Default 9464 (Prometheus exporters' range). */
  readonly port?: number;
  /** Interface to bind. Default `127.0.0.1`: only this machine can connect. */
  readonly host?: string;
  /**
   * Bearer token the data endpoints (`/metrics`, `/state`, `/events`) require. Mandatory when
   * `host` is not a loopback address. The dashboard page asks for it and keeps it in the tab.
   */
  readonly token?: string;
  /** How member addresses are shown (`@shoal/node` passes the UDP format); default hex. */
  readonly formatAddress?: AddressFormat;
  /** How often the dashboard gets a new picture, in ms. Default 1000. */
  readonly intervalMs?: number;
  /**
   * An app's own pages on the same server (the chat's web client at `/chat/`, say): called
   * first for every GET or HEAD with the request's path, resolving true when it answered. They
   * are served without the token, so they must reveal nothing of the cluster.
   */
  readonly app?: (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean>;
}

/** A running observability server. */
export interface ObservabilityServer {
  /** `http://host:port/`, the dashboard. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends every dashboard connection. */
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const ASSETS = new URL('../assets/', import.meta.url);
const STATIC: Record<string, { file: () => string | URL; type: string }> = {
  '/': { file: () => new URL('dashboard.html', ASSETS), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: () => new URL('dashboard.js', ASSETS), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: () => new URL('dashboard.css', ASSETS), type: 'text/css; charset=utf-8' },
  // The chart library, served from the installed package: nothing is fetched from a CDN.
  '/uplot.js': {
    file: () => require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/uplot.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/**
 * Serves a node over HTTP: `/metrics` (Prometheus text, prom-client), `/healthz` (200 while the
 * process serves), `/readyz` (200 when the node runs and no peer's digest shows anything missing
 * here, else 503), `/state` (the cluster as this node knows it, JSON), `/events` (the same
 * every `intervalMs`, and each membership event and error as it happens, as Server-Sent Events)
 * and `/`, a live dashboard built on them (assets shipped with this package).
 *
 * Secure by default: bound to 127.0.0.1; bound anywhere else it refuses to start without a
 * `token`, and then the data endpoints answer 401 without `Authorization: Bearer <token>`.
 * `/healthz`, `/readyz` and the page's static files reveal nothing and stay open for probes. No
 * secret of the network ever reaches a response.
 *
 * @throws ShoalError `INVALID_ARGUMENT` for a non-loopback host without a token, or a bad port.
 */
export async function serveObservability(
  node: Coordinator,
  options: ObservabilityOptions = {},
): Promise<ObservabilityServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9464;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ShoalError(ErrorCode.InvalidArgument, `observability port must be 0-65535, got ${port}`);
  }
  const { token } = options;
  if (token !== undefined && token.length < 16) {
    throw new ShoalError(ErrorCode.InvalidArgument, 'the observability token must be at least 16 characters');
  }
  if (!isLoopback(host) && token === undefined) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `serving observability on ${host} (not loopback) needs a token: anyone who reaches it could read the cluster's state`,
    );
  }
  const feed = new EventFeed(node);
  const registry = nodeMetrics(node, feed);
  const formatAddress = options.formatAddress ?? hexAddress;
  const intervalMs = options.intervalMs ?? 1000;
  const streams = new Set<ServerResponse>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(response, 405, 'GET only\n');
    if (path === '/healthz') return reply(response, 200, 'ok\n');
    if (options.app !== undefined && (await options.app(request, response, path))) return;
    if (path === '/readyz') {
      const view = await clusterView(node, feed, formatAddress);
      return view.ready
        ? reply(response, 200, 'ready\n')
        : reply(response, 503, `not ready: ${view.state}\n`);
    }
    const asset = STATIC[path];
    if (asset !== undefined) {
      const body = await readFile(asset.file());
      response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      response.end(body);
      return;
    }
    if (path !== '/metrics' && path !== '/state' && path !== '/events')
      return reply(response, 404, 'not found\n');
    if (token !== undefined && !authorized(request, token)) {
      response.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' });
      response.end('a bearer token is required\n');
      return;
    }
    if (path === '/metrics') {
      const text = await registry.metrics();
      response.writeHead(200, { 'content-type': registry.contentType });
      response.end(text);
      return;
    }
    if (path === '/state') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ...(await clusterView(node, feed, formatAddress)), feed: feed.items() }));
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    streams.add(response);
    response.on('close', () => streams.delete(response));
    response.write(`event: feed\ndata: ${JSON.stringify(feed.items())}\n\n`);
    response.write(`event: view\ndata: ${JSON.stringify(await clusterView(node, feed, formatAddress))}\n\n`);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        reply(response, 500, `${error instanceof Error ? error.message : String(error)}\n`);
      else response.end();
    });
  });
  const stopFeed = feed.onItem((item) => {
    for (const stream of streams) stream.write(`event: item\ndata: ${JSON.stringify(item)}\n\n`);
  });
  const timer = setInterval(() => {
    if (streams.size === 0) return;
    clusterView(node, feed, formatAddress).then(
      (view) => {
        for (const stream of streams) stream.write(`event: view\ndata: ${JSON.stringify(view)}\n\n`);
      },
      () => {},
    );
  }, intervalMs);
  timer.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new ShoalError(ErrorCode.InvalidArgument, `cannot listen on ${host}:${port}: ${error.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`,
    port: bound,
    close: async () => {
      clearInterval(timer);
      stopFeed();
      feed.close();
      for (const stream of streams) stream.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

function reply(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

function authorized(request: IncomingMessage, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
