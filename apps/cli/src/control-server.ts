import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { toCliError } from './cli-error.js';
import { LineSplitter } from './line-splitter.js';
import type { NodeSession } from './node-session.js';
import { isStreaming, parseRequest } from './requests.js';

/**
 * The agent's control socket: a unix socket in the data dir (mode 0600 inside a 0700
 * directory, so only the owner reaches it). Protocol, one request per connection, NDJSON:
 * the client sends one line `{"op": …}`; the server answers `{"event": …}` lines (streaming
 * requests only, until the client hangs up) and one final `{"ok": true, "result": …}` or
 * `{"ok": false, "error": {code, message, exitCode}}`, then closes. A line over
 * {@link MAX_LINE_BYTES}, bad JSON or a malformed request gets an error answer and the
 * connection closed; nothing is executed.
 */
export class ControlServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
  }

  /**
   * Listens on `path` for `session`. The caller must hold the data dir's store lock: a socket
   * file left there by a process that died is replaced.
   */
  static async listen(path: string, session: NodeSession): Promise<ControlServer> {
    rmSync(path, { force: true });
    const server = createServer();
    const control = new ControlServer(server);
    server.on('connection', (socket) => control.#serve(socket, session));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    return control;
  }

  /** Stops listening, ends open connections (watchers) and removes the socket file. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket, session: NodeSession): void {
    this.#sockets.add(socket);
    const abort = new AbortController();
    socket.on('close', () => {
      this.#sockets.delete(socket);
      abort.abort();
    });
    socket.on('error', () => abort.abort());
    const splitter = new LineSplitter();
    const reply = (message: unknown) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    const fail = (error: unknown) => {
      const { code, message, exitCode } = toCliError(error);
      reply({ ok: false, error: { code, message, exitCode } });
      socket.end();
    };
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      if (started) return; // one request per connection; anything after it is ignored
      const lines = splitter.push(chunk);
      if (lines === 'overflow') return fail(new Error('request line too long'));
      const line = lines[0];
      if (line === undefined) return;
      started = true;
      let request: ReturnType<typeof parseRequest>;
      try {
        request = parseRequest(JSON.parse(line));
      } catch (error) {
        return fail(error instanceof SyntaxError ? new Error('request is not valid JSON') : error);
      }
      session
        .execute(request, (event) => reply({ event }), abort.signal)
        .then((result) => {
          if (isStreaming(request) && abort.signal.aborted) return;
          reply({ ok: true, result });
          socket.end();
        }, fail);
    });
  }
}
