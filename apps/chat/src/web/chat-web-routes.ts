import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Options of {@link chatWebRoutes}. */
export interface ChatWebOptions {
  /** The WebSocket port this hub listens on: the page connects to it on the host it was served from. */
  readonly wsPort: number;
  /** The other hubs' URLs, given to the page so it can fail over to them. */
  readonly hubs: readonly string[];
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/**
 * The chat's web client as routes under `/chat/` (for `serveObservability`'s `app`): the page,
 * its stylesheet, its script (the browser bundle of `chat-page.ts`, built with esbuild on first
 * request and kept), and `hubs.json`, the hubs the page may use: this one first, at the host
 * name the browser used, then the others. The network's invite never travels here: the page
 * reads it from the URL's fragment (`/chat/#shoal://…`), which browsers do not send.
 */
export function chatWebRoutes(
  options: ChatWebOptions,
): (request: IncomingMessage, response: ServerResponse, path: string) => Promise<boolean> {
  let bundle: Promise<string> | undefined;
  return async (request, response, path) => {
    if (path === '/chat') {
      response.writeHead(301, { location: '/chat/' });
      response.end();
      return true;
    }
    if (path === '/chat/')
      return send(response, 'text/html; charset=utf-8', await readFile(here('chat.html')));
    if (path === '/chat/chat.css')
      return send(response, 'text/css; charset=utf-8', await readFile(here('chat.css')));
    if (path === '/chat/chat.js') {
      bundle ??= bundlePage();
      return send(response, 'text/javascript; charset=utf-8', await bundle);
    }
    if (path === '/chat/hubs.json') {
      const host = new URL(`http://${request.headers.host ?? '127.0.0.1'}`).hostname;
      const own = `ws://${host.includes(':') ? `[${host}]` : host}:${options.wsPort}`;
      const hubs = [own, ...options.hubs.filter((hub) => hub !== own)];
      return send(response, 'application/json', JSON.stringify({ hubs }));
    }
    return false;
  };
}

async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [here('chat-page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['@shoal/source'],
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

function send(response: ServerResponse, type: string, body: string | Uint8Array): true {
  response.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
  response.end(body);
  return true;
}
