import type { IncomingMessage } from 'node:http';
import {
  cryptoRandom,
  ErrorCode,
  type MessagePort,
  type NodeId,
  type RandomPort,
  ShoalError,
  type TimerPort,
} from '@shoal/core';
import { HandlerSet } from '@shoal/core/ports';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { systemTimers } from '../system-timers.js';
import {
  decodeFrame,
  encodeData,
  encodeHeartbeat,
  encodeHubs,
  encodePeers,
  encodeWelcome,
  type Frame,
  FrameType,
} from '../wire/frame.js';
import { decodeConnectionToken } from './connection-token.js';
import { HubConnection, type OutboundCounters } from './hub-connection.js';
import { IdPool } from './id-pool.js';
import { type ResolvedHubOptions, resolveHubOptions, type WsHubOptions } from './ws-hub-options.js';
import { emptyHubStats, type WsHubStats } from './ws-hub-stats.js';

type DataFrame = Extract<Frame, { type: typeof FrameType.Data }>;

/** How long {@link WsHub.close} waits for clients to finish the closing handshake. */
const CLOSE_GRACE_MS = 1000;

/**
 * The hub side of the WebSocket transport: a {@link MessagePort} whose peers are the clients
 * connected to it (browsers, Node clients, other hubs), each addressed by its node id.
 *
 * Guarantees, beyond those of {@link MessagePort}:
 * - **No binding without core's word.** Inbound Data frames for the hub are delivered with
 *   the id they claim and the connection's token as `source`; the connection is bound to that
 *   id only when core calls {@link addPeerAddress} with the token, which it does only after
 *   the sealed message authenticated. An unbound connection can only talk to the hub; one
 *   that is not bound within `helloTimeoutMs`, or sends more than `maxHelloBytes` first, is
 *   closed. A bound connection's frames must carry its id. (A blind relay binds on the claim,
 *   ADR 0021.)
 * - **Relay.** A Data frame for another id is forwarded, unchanged, to the connection bound
 *   to it; if there is none the sender is told the id is `down`. Each newly bound client is
 *   introduced to up to `introductions` random others, and they to it.
 * - **Bounded.** Frames above `maxPayload` close the connection (1009), text frames close it
 *   (1003), garbage is dropped; connections per address and in total are capped; a slow
 *   client's backlog is capped (bulk frames paused above `pauseAboveBytes`, the queue dropped
 *   and counted above `dropAboveBytes` or after `stuckMs` stuck). Everything is counted in
 *   {@link stats}; nothing a client sends can throw out of a handler or stop the hub.
 * - **Liveness.** A WebSocket ping every `pingIntervalMs`; a connection silent for a whole
 *   period is terminated. Clients' app-level Pings are answered.
 * - `onPeer` reports an id `'up'` when a connection is first bound to it and `'down'` when
 *   that connection closes. Core ignores these hints from an address-based port.
 * - **Close** tells every client the other hubs, closes with 1012, and stops listening.
 */
export class WsHub implements MessagePort {
  readonly maxMessageSize: number;
  readonly nodeId: NodeId;

  readonly #options: ResolvedHubOptions;
  readonly #server: WebSocketServer;
  readonly #timers: TimerPort;
  readonly #random: RandomPort;
  readonly #stats = emptyHubStats();
  readonly #counters: OutboundCounters = { queueDrops: 0, backpressureDropped: 0 };
  readonly #connections = new Map<number, HubConnection>();
  readonly #perAddress = new Map<string, number>();
  readonly #routes = new Map<NodeId, HubConnection>();
  readonly #pool = new IdPool();
  readonly #messageHandlers: HandlerSet<[NodeId, Uint8Array, Uint8Array]>;
  readonly #peerHandlers: HandlerSet<[NodeId, 'up' | 'down']>;
  #serial = 0;
  #cancelPing: (() => void) | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * Starts listening (or attaches to `server`); resolves once it accepts connections.
   *
   * @throws ShoalError `INVALID_ARGUMENT` for a bad option, `TRANSPORT` when the port cannot be bound.
   */
  static async open(options: WsHubOptions): Promise<WsHub> {
    const resolved = resolveHubOptions(options);
    const common = {
      ...(resolved.path === undefined ? {} : { path: resolved.path }),
      maxPayload: resolved.maxPayload,
      // Bodies are compressed by core already; deflate would cost CPU and memory per socket.
      perMessageDeflate: false,
      clientTracking: false,
    };
    const listen = resolved.listen;
    const server =
      listen === undefined
        ? new WebSocketServer({ ...common, server: resolved.server })
        : new WebSocketServer({
            ...common,
            port: listen.port,
            ...(listen.host === undefined ? {} : { host: listen.host }),
          });
    if (listen !== undefined) {
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', (error) => {
          server.close();
          reject(
            new ShoalError(ErrorCode.Transport, `WsHub cannot listen: ${error.message}`, { cause: error }),
          );
        });
      });
    }
    return new WsHub(resolved, server, options.timers ?? systemTimers, options.random ?? cryptoRandom);
  }

  private constructor(
    options: ResolvedHubOptions,
    server: WebSocketServer,
    timers: TimerPort,
    random: RandomPort,
  ) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.maxMessageSize = options.maxMessageSize;
    this.#server = server;
    this.#timers = timers;
    this.#random = random;
    const onHandlerError = () => {
      this.#stats.handlerErrors++;
    };
    this.#messageHandlers = new HandlerSet(onHandlerError);
    this.#peerHandlers = new HandlerSet(onHandlerError);
    server.on('connection', (socket, request) => this.#accept(socket, request));
    // Errors of the listening socket after start are not fatal to connected clients.
    server.on('error', () => {});
    this.#schedulePing();
  }

  /** The port the hub listens on (its own server) or undefined when attached to yours. */
  get port(): number | undefined {
    if (this.#options.listen === undefined) return undefined;
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /**
   * Sends `bytes` to the client bound to `to`. Best effort: a counted drop when no connection
   * is bound to it, or the client's backlog is full. Copies the bytes.
   *
   * @throws ShoalError `INVALID_ARGUMENT` above {@link maxMessageSize}.
   */
  send(to: NodeId, bytes: Uint8Array): void {
    if (this.#closed) return;
    if (bytes.length > this.maxMessageSize) {
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        `message of ${bytes.length} bytes exceeds maxMessageSize`,
        {
          details: { size: bytes.length, maxMessageSize: this.maxMessageSize },
        },
      );
    }
    const connection = this.#routes.get(to);
    if (connection === undefined) {
      this.#stats.unknownPeerDropped++;
      return;
    }
    connection.bulk(encodeData(to, this.nodeId, bytes));
  }

  /** Subscribes to Data frames for the hub, with the claimed sender and the connection token. */
  onMessage(handler: (from: NodeId, bytes: Uint8Array, source: Uint8Array) => void): () => void {
    return this.#closed ? () => {} : this.#messageHandlers.add(handler);
  }

  /** Subscribes to bound ids coming and going; a late subscriber hears the bound ids `'up'` on a later turn. */
  onPeer(handler: (peer: NodeId, change: 'up' | 'down') => void): () => void {
    if (this.#closed) return () => {};
    let subscribed = true;
    const unsubscribe = this.#peerHandlers.add(handler);
    const bound = [...this.#routes.keys()];
    if (bound.length > 0) {
      this.#timers.setTimeout(() => {
        for (const peer of bound) {
          if (this.#closed || !subscribed || !this.#routes.has(peer)) continue;
          try {
            handler(peer, 'up');
          } catch {
            this.#stats.handlerErrors++;
          }
        }
      }, 0);
    }
    return () => {
      subscribed = false;
      unsubscribe();
    };
  }

  /**
   * Binds the connection named by `address` (a token this hub reported as a message's
   * `source`) to `peer`, and routes `peer`'s traffic through it. Core calls it only after a
   * message from that connection authenticated as `peer`. Returns false, changing nothing,
   * for bytes that are not a live connection's token or a connection bound to another id.
   */
  addPeerAddress(peer: NodeId, address: Uint8Array): boolean {
    if (this.#closed) return false;
    const serial = decodeConnectionToken(address);
    const connection = serial === undefined ? undefined : this.#connections.get(serial);
    if (connection === undefined || (connection.id !== undefined && connection.id !== peer)) {
      this.#stats.invalidAddresses++;
      return false;
    }
    this.#bind(connection, peer);
    return true;
  }

  stats(): WsHubStats {
    let queuedBytes = 0;
    for (const connection of this.#connections.values()) queuedBytes += connection.queuedBytes;
    return {
      ...this.#stats,
      ...this.#counters,
      connections: this.#connections.size,
      bound: this.#routes.size,
      queuedBytes,
    };
  }

  /**
   * Shuts down gracefully: tells every client the other hubs (a Hubs frame), closes each
   * connection with 1012 (service restart), stops listening, and resolves once every client
   * has gone (those that do not finish the closing handshake within a second are cut).
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown(true);
    return this.#closing;
  }

  /** Drops every connection without a word and stops listening: what a crash looks like to clients. */
  abort(): Promise<void> {
    this.#closing ??= this.#shutdown(false);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(graceful: boolean): Promise<void> {
    this.#closed = true;
    this.#cancelPing?.();
    this.#messageHandlers.clear();
    this.#peerHandlers.clear();
    const sockets = [...this.#connections.values()].map((connection) => {
      connection.clear();
      return connection.socket;
    });
    const gone = sockets.map(
      (socket) =>
        new Promise<void>((resolve) =>
          socket.readyState === socket.CLOSED ? resolve() : socket.once('close', () => resolve()),
        ),
    );
    const farewell = encodeHubs(this.#options.hubs);
    for (const socket of sockets) {
      if (!graceful) socket.terminate();
      else {
        socket.send(farewell);
        socket.close(1012, 'hub shutting down');
      }
    }
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    let cancelGrace: () => void = () => {};
    await Promise.race([
      Promise.all(gone),
      new Promise<void>((resolve) => {
        cancelGrace = this.#timers.setTimeout(resolve, CLOSE_GRACE_MS);
      }),
    ]);
    cancelGrace();
    for (const socket of sockets) socket.terminate();
    await stopped;
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    if (this.#closed) {
      socket.terminate();
      return;
    }
    const address = request.socket.remoteAddress ?? '';
    const fromAddress = this.#perAddress.get(address) ?? 0;
    if (
      this.#connections.size >= this.#options.maxConnections ||
      fromAddress >= this.#options.maxConnectionsPerAddress
    ) {
      this.#stats.rejected++;
      socket.on('error', () => {});
      socket.close(1013, 'too many connections');
      return;
    }
    this.#stats.accepted++;
    this.#perAddress.set(address, fromAddress + 1);
    const connection = new HubConnection({
      serial: this.#serial++ >>> 0,
      address,
      socket,
      timers: this.#timers,
      limits: this.#options,
      counters: this.#counters,
    });
    this.#connections.set(connection.serial, connection);
    socket.on('message', (data, isBinary) => this.#receive(connection, data, isBinary));
    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('error', () => {
      // ws reports oversized frames and protocol violations here, then closes (1009/1002).
      this.#stats.protocolErrors++;
    });
    socket.on('close', () => this.#closedConnection(connection));
    connection.control(encodeWelcome(this.nodeId, this.#options.blind, this.#options.hubs));
    connection.cancelHello = this.#timers.setTimeout(() => {
      if (connection.id !== undefined || socket.readyState !== socket.OPEN) return;
      this.#stats.helloTimeouts++;
      socket.close(1008, 'no hello');
    }, this.#options.helloTimeoutMs);
  }

  #receive(connection: HubConnection, data: RawData, isBinary: boolean): void {
    // A connection we are closing may still deliver what was in flight: ignore it.
    if (this.#closed || connection.socket.readyState !== connection.socket.OPEN) return;
    connection.alive = true;
    if (!isBinary) {
      this.#stats.textFrames++;
      connection.socket.close(1003, 'binary frames only');
      return;
    }
    // With the default binaryType ws hands over one Buffer per message. Handlers get a plain
    // Uint8Array view: a Buffer's `slice` does not copy, which surprises byte-array code.
    const buffer = data as Buffer;
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (connection.id === undefined) {
      connection.bytesBeforeHello += bytes.length;
      if (connection.bytesBeforeHello > this.#options.maxHelloBytes) {
        this.#stats.helloTooLarge++;
        connection.socket.close(1008, 'hello too large');
        return;
      }
    }
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      this.#stats.malformedDropped++;
      return;
    }
    const frame = decoded.value;
    switch (frame.type) {
      case FrameType.Data:
        this.#data(connection, frame, bytes);
        return;
      case FrameType.Ping:
        connection.control(encodeHeartbeat(FrameType.Pong));
        return;
      case FrameType.Pong:
        return;
      default:
        this.#stats.malformedDropped++;
    }
  }

  #data(connection: HubConnection, frame: DataFrame, bytes: Uint8Array): void {
    // A blind relay cannot verify: it routes an id through the connection that last sent as it.
    if (this.#options.blind && (connection.id === undefined || connection.id === frame.from)) {
      this.#bind(connection, frame.from);
    }
    if (connection.id !== undefined && frame.from !== connection.id) {
      this.#stats.spoofedDropped++;
      return;
    }
    if (frame.to === this.nodeId) {
      // A blind relay reads nothing: a hello addressed to it has done its job by binding.
      if (this.#options.blind) return;
      this.#stats.messagesDelivered++;
      this.#messageHandlers.emit(frame.from, frame.payload, connection.token);
      return;
    }
    if (connection.id === undefined) {
      this.#stats.unboundDropped++;
      return;
    }
    const target = this.#routes.get(frame.to);
    if (target === undefined) {
      this.#stats.relayUnknown++;
      connection.control(encodePeers(this.#pool.pick(this.#random, 1, connection.id), [frame.to]));
      return;
    }
    this.#stats.relayed++;
    target.bulk(bytes);
  }

  #bind(connection: HubConnection, peer: NodeId): void {
    const first = connection.id === undefined;
    connection.id = peer;
    connection.cancelHello?.();
    connection.cancelHello = undefined;
    const routed = this.#routes.get(peer);
    if (routed === connection) return;
    // The latest vouched connection carries the id's traffic (a reconnect replaces a dead one).
    this.#routes.set(peer, connection);
    if (routed !== undefined) return;
    this.#pool.add(peer);
    if (first) this.#introduce(connection, peer);
    this.#peerHandlers.emit(peer, 'up');
  }

  #introduce(connection: HubConnection, peer: NodeId): void {
    if (this.#options.introductions === 0) return;
    const others = this.#pool.pick(this.#random, this.#options.introductions, peer);
    if (others.length === 0) return;
    connection.control(encodePeers(others, []));
    const newcomer = encodePeers([peer], []);
    for (const other of others) this.#routes.get(other)?.control(newcomer);
  }

  #closedConnection(connection: HubConnection): void {
    connection.clear();
    this.#connections.delete(connection.serial);
    const left = (this.#perAddress.get(connection.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(connection.address, left);
    else this.#perAddress.delete(connection.address);
    const id = connection.id;
    if (id === undefined || this.#routes.get(id) !== connection) return;
    this.#routes.delete(id);
    this.#pool.delete(id);
    if (!this.#closed) this.#peerHandlers.emit(id, 'down');
  }

  #schedulePing(): void {
    this.#cancelPing = this.#timers.setTimeout(() => {
      for (const connection of this.#connections.values()) {
        if (!connection.alive) {
          this.#stats.heartbeatTimeouts++;
          connection.socket.terminate();
          continue;
        }
        connection.alive = false;
        connection.socket.ping();
      }
      this.#schedulePing();
    }, this.#options.pingIntervalMs);
  }
}
