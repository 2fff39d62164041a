import {
  cryptoRandom,
  ErrorCode,
  isNodeId,
  type MessagePort,
  type NodeId,
  type RandomPort,
  ShoalError,
  type TimerPort,
} from '@shoal/core';
import { HandlerSet } from '@shoal/core/ports';
import { DEFAULT_MAX_MESSAGE_SIZE, integerOption } from '../options.js';
import { systemTimers } from '../system-timers.js';
import { decodeFrame, encodeData, encodeHeartbeat, type Frame, FrameType } from '../wire/frame.js';
import { Backoff } from './backoff.js';
import { Heartbeat } from './heartbeat.js';
import { HubList } from './hub-list.js';
import { OPEN, SUBPROTOCOL, type WebSocketConstructor, type WebSocketLike } from './websocket-like.js';

/** Something that emits `online` and `focus` events (a browser's `window`). */
export interface WakeTarget {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** Options of {@link WsClient}. Only `nodeId` and `hubs` are required. */
export interface WsClientOptions {
  /** This node's id, stamped on every Data frame as its (unauthenticated) sender. */
  readonly nodeId: string;
  /** Hub URLs (`ws://` or `wss://`). Shuffled once; hubs learnt from welcomes are added. */
  readonly hubs: readonly string[];
  /**
   * The WebSocket implementation: the browser's native `WebSocket`, or `ws`'s in Node.
   * Default `globalThis.WebSocket` where it exists.
   */
  readonly WebSocket?: WebSocketConstructor;
  /** Time and timers. Default the platform's ({@link systemTimers}). */
  readonly timers?: TimerPort;
  /** Shuffle and jitter. Default the platform CSPRNG. */
  readonly random?: RandomPort;
  /** Largest payload `send` accepts. Default 64 KiB; must not exceed the hub's. */
  readonly maxMessageSize?: number;
  /** A hub that has not welcomed us within this long is given up. Default 4000 ms. */
  readonly connectTimeoutMs?: number;
  /** First wait after a whole pass over the hubs fails. Default 500 ms. */
  readonly backoffBaseMs?: number;
  /** Longest wait between passes, before jitter. Default 10 000 ms. */
  readonly backoffMaxMs?: number;
  /** A connection up this long resets the backoff. Default 5000 ms. */
  readonly stableAfterMs?: number;
  /** Silence after which a Ping is sent. Default 10 000 ms. */
  readonly pingAfterMs?: number;
  /** Silence after which the hub is considered gone. Default 25 000 ms. */
  readonly deadAfterMs?: number;
  /** Data is dropped (and counted) while the socket buffers more than this. Default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /**
   * Where to listen for `online` and `focus` (reconnect at once, backoff reset). Default
   * `globalThis` when it has `addEventListener` (a browser); `false` for none.
   */
  readonly wake?: WakeTarget | false;
}

/** Counters of a {@link WsClient}, monotonic since it was created. */
export interface WsClientStats {
  /** WebSockets opened towards a hub. */
  connectAttempts: number;
  /** Connections that reached the hub's welcome. */
  connections: number;
  /** Welcomed connections that later ended (closed, dead heartbeat, hub shutdown). */
  failovers: number;
  /** Attempts that ended before a welcome (refused, timed out, closed early). */
  connectFailures: number;
  /** Frames handed to the socket, and their bytes. */
  framesSent: number;
  bytesSent: number;
  /** Frames received, and their bytes. */
  framesReceived: number;
  bytesReceived: number;
  /** Data frames delivered to `onMessage` subscribers. */
  messagesDelivered: number;
  /** Received frames that did not decode, or arrived out of place (a Data frame before a welcome). */
  malformedDropped: number;
  /** Received text frames (Shoal sends binary only). */
  textDropped: number;
  /** Data frames addressed to another node. */
  misaddressedDropped: number;
  /** `send` calls while no hub connection was up. */
  notConnectedDropped: number;
  /** `send` calls while the socket buffered more than `maxBufferedBytes`. */
  bufferFullDropped: number;
  /** Pings sent after silence. */
  pingsSent: number;
  /** Exceptions thrown by subscribers, contained. */
  handlerErrors: number;
}

interface Attempt {
  readonly socket: WebSocketLike;
  readonly url: string;
  /** Set by the hub's welcome. */
  hub: NodeId | undefined;
  blind: boolean;
}

/**
 * The client side of the WebSocket transport: a {@link MessagePort} over one hub connection at
 * a time, for Node (`ws`) and the browser (native `WebSocket`) alike; this module uses no Node
 * built-in. Core reaches the hub by its id and every other peer on the hub through it (the hub
 * relays Data frames by destination id).
 *
 * Guarantees, beyond those of {@link MessagePort}:
 * - **One connection** at a time. On close, a missed heartbeat (ADR 0020) or a connect timeout
 *   it moves to the next hub at once; after a whole pass over the list fails it backs off
 *   exponentially with jitter ({@link Backoff}). It never stops retrying until closed.
 * - **No replay log.** While disconnected `send` drops and counts; core's writes are durable
 *   locally and anti-entropy delivers them after the reconnect.
 * - **Hello.** The announcement core gives it ({@link WsClient.setAnnouncement}, a sealed
 *   Hello) is sent to the hub as soon as it welcomes us, so the hub can bind the connection
 *   to this node's id.
 * - **Discovery.** `onPeer` reports the hub `'up'` on its welcome (unless it is a blind relay)
 *   and the peers it introduces; everything known goes `'down'` when the connection ends, and
 *   a peer the hub says it cannot reach goes `'down'`.
 * - **Total decoding.** Text frames, garbage and misaddressed frames are dropped and counted.
 */
export class WsClient implements MessagePort {
  readonly maxMessageSize: number;
  readonly nodeId: NodeId;

  readonly #WebSocket: WebSocketConstructor;
  readonly #timers: TimerPort;
  readonly #hubs: HubList;
  readonly #backoff: Backoff;
  readonly #heartbeat: Heartbeat;
  readonly #connectTimeoutMs: number;
  readonly #maxBufferedBytes: number;
  readonly #wake: WakeTarget | undefined;
  readonly #messageHandlers: HandlerSet<[NodeId, Uint8Array]>;
  readonly #peerHandlers: HandlerSet<[NodeId, 'up' | 'down']>;
  readonly #known = new Set<NodeId>();
  readonly #stats: WsClientStats = {
    connectAttempts: 0,
    connections: 0,
    failovers: 0,
    connectFailures: 0,
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    messagesDelivered: 0,
    malformedDropped: 0,
    textDropped: 0,
    misaddressedDropped: 0,
    notConnectedDropped: 0,
    bufferFullDropped: 0,
    pingsSent: 0,
    handlerErrors: 0,
  };
  #announcement: Uint8Array | undefined;
  #attempt: Attempt | undefined;
  #cancelTimer: (() => void) | undefined;
  #closed = false;

  /**
   * Creates the client and starts connecting to the first hub.
   *
   * @throws ShoalError `INVALID_ARGUMENT` for an empty hub list, a URL that is not `ws:`/`wss:`,
   *   a bad option, or no WebSocket implementation (pass `WebSocket`).
   */
  constructor(options: WsClientOptions) {
    const nodeId = options.nodeId;
    if (!isNodeId(nodeId)) invalid('nodeId', nodeId);
    if (!Array.isArray(options.hubs) || options.hubs.length === 0) invalid('hubs', 'an empty list');
    for (const url of options.hubs) if (!/^wss?:\/\//.test(url)) invalid('hubs', url);
    const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocket === undefined) invalid('WebSocket', 'none given and no global WebSocket');
    this.#WebSocket = WebSocket;
    this.nodeId = nodeId;
    this.#timers = options.timers ?? systemTimers;
    const random = options.random ?? cryptoRandom;
    const int = (name: keyof WsClientOptions, fallback: number, min: number, max: number) =>
      integerOption('WsClient', name, options[name] as number | undefined, fallback, min, max);
    this.maxMessageSize = int('maxMessageSize', DEFAULT_MAX_MESSAGE_SIZE, 1, 1024 * 1024);
    this.#connectTimeoutMs = int('connectTimeoutMs', 4000, 1, 600_000);
    this.#maxBufferedBytes = int('maxBufferedBytes', 4 * 1024 * 1024, 0, 2 ** 31);
    this.#hubs = new HubList(options.hubs, random);
    this.#backoff = new Backoff(random, {
      baseMs: int('backoffBaseMs', 500, 1, 3_600_000),
      maxMs: int('backoffMaxMs', 10_000, 1, 3_600_000),
      stableMs: int('stableAfterMs', 5000, 0, 3_600_000),
    });
    const pingAfterMs = int('pingAfterMs', 10_000, 1, 3_600_000);
    this.#heartbeat = new Heartbeat(
      this.#timers,
      {
        ping: () => {
          this.#stats.pingsSent++;
          this.#write(encodeHeartbeat(FrameType.Ping));
        },
        onDead: () => this.#lost(),
      },
      { pingAfterMs, deadAfterMs: int('deadAfterMs', 25_000, pingAfterMs + 1, 3_600_000) },
    );
    const onHandlerError = () => {
      this.#stats.handlerErrors++;
    };
    this.#messageHandlers = new HandlerSet(onHandlerError);
    this.#peerHandlers = new HandlerSet(onHandlerError);
    const wake = options.wake ?? (globalThis as Partial<WakeTarget>);
    this.#wake =
      wake !== false && typeof wake.addEventListener === 'function' ? (wake as WakeTarget) : undefined;
    this.#wake?.addEventListener('online', this.#onWake);
    this.#wake?.addEventListener('focus', this.#onWake);
    this.#connect();
  }

  /** The URL of the hub that welcomed the current connection, if any. */
  get hub(): string | undefined {
    return this.#attempt?.hub === undefined ? undefined : this.#attempt.url;
  }

  /** The hubs this client knows, in the order it tries them. */
  get hubs(): readonly string[] {
    return this.#hubs.urls;
  }

  /**
   * Sends `bytes` to `to` through the current hub. Best effort: dropped and counted when no
   * hub is connected or the socket is backed up. Copies the bytes.
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
    const attempt = this.#attempt;
    if (attempt?.hub === undefined) {
      this.#stats.notConnectedDropped++;
      return;
    }
    if (attempt.socket.bufferedAmount > this.#maxBufferedBytes) {
      this.#stats.bufferFullDropped++;
      return;
    }
    this.#write(encodeData(to, this.nodeId, bytes));
  }

  onMessage(handler: (from: NodeId, bytes: Uint8Array) => void): () => void {
    return this.#closed ? () => {} : this.#messageHandlers.add(handler);
  }

  /**
   * Subscribes to peers coming and going (see the class notes). A late subscriber is told the
   * peers already known, `'up'`, on a later turn (never synchronously).
   */
  onPeer(handler: (peer: NodeId, change: 'up' | 'down') => void): () => void {
    if (this.#closed) return () => {};
    let subscribed = true;
    const unsubscribe = this.#peerHandlers.add(handler);
    const known = [...this.#known];
    if (known.length > 0) {
      this.#timers.setTimeout(() => {
        for (const peer of known) {
          if (this.#closed || !subscribed || !this.#known.has(peer)) continue;
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
   * Sets the hello sent to every hub on its welcome (core's sealed Hello; a
   * `Coordinator` calls this by itself). Sent at once if a hub is connected. Copied.
   */
  setAnnouncement(bytes: Uint8Array | undefined): void {
    if (this.#closed) return;
    this.#announcement = bytes?.slice();
    this.#sendHello();
  }

  stats(): WsClientStats {
    return { ...this.#stats };
  }

  /** Closes the connection and stops reconnecting. Idempotent; no handler runs afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#messageHandlers.clear();
    this.#peerHandlers.clear();
    this.#wake?.removeEventListener('online', this.#onWake);
    this.#wake?.removeEventListener('focus', this.#onWake);
    this.#cancelTimer?.();
    this.#heartbeat.stop();
    const attempt = this.#attempt;
    this.#attempt = undefined;
    if (attempt !== undefined) this.#dispose(attempt.socket, 1000);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  readonly #onWake = (): void => {
    if (this.#closed || this.#attempt !== undefined) return;
    this.#backoff.reset();
    this.#cancelTimer?.();
    this.#connect();
  };

  #connect(): void {
    this.#cancelTimer = undefined;
    if (this.#closed || this.#hubs.size === 0) return;
    const url = this.#hubs.next();
    this.#stats.connectAttempts++;
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(url, SUBPROTOCOL);
    } catch {
      // A URL the implementation refuses (or a browser blocking it) is a failed attempt.
      this.#stats.connectFailures++;
      this.#retry();
      return;
    }
    const attempt: Attempt = { socket, url, hub: undefined, blind: false };
    this.#attempt = attempt;
    socket.binaryType = 'arraybuffer';
    socket.onmessage = ((event: { data: unknown }) => this.#receive(attempt, event.data)) as (
      event: never,
    ) => void;
    socket.onclose = () => this.#ended(attempt);
    socket.onerror = () => this.#ended(attempt);
    this.#cancelTimer = this.#timers.setTimeout(() => this.#ended(attempt), this.#connectTimeoutMs);
  }

  #receive(attempt: Attempt, data: unknown): void {
    if (this.#closed || this.#attempt !== attempt) return;
    this.#stats.framesReceived++;
    if (!(data instanceof ArrayBuffer)) {
      this.#stats.textDropped++;
      return;
    }
    this.#stats.bytesReceived += data.byteLength;
    const decoded = decodeFrame(new Uint8Array(data));
    if (!decoded.ok) {
      this.#stats.malformedDropped++;
      return;
    }
    const frame = decoded.value;
    if (attempt.hub === undefined) {
      if (frame.type === FrameType.Welcome) this.#welcomed(attempt, frame);
      else this.#stats.malformedDropped++;
      return;
    }
    this.#heartbeat.heard();
    this.#handle(frame);
  }

  #welcomed(attempt: Attempt, welcome: Extract<Frame, { type: typeof FrameType.Welcome }>): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (welcome.hub === this.nodeId) {
      // Our own hub (hubs are often given one list that names themselves): never try it again.
      this.#hubs.remove(attempt.url);
      this.#attempt = undefined;
      this.#dispose(attempt.socket, 1000);
      this.#cancelTimer = this.#timers.setTimeout(() => this.#connect(), 0);
      return;
    }
    attempt.hub = welcome.hub;
    attempt.blind = welcome.blind;
    this.#stats.connections++;
    this.#backoff.connected(this.#timers.monotonic());
    this.#hubs.learn(welcome.hubs);
    this.#heartbeat.start();
    this.#sendHello();
    if (!welcome.blind) this.#peerUp(welcome.hub);
  }

  #handle(frame: Frame): void {
    switch (frame.type) {
      case FrameType.Data:
        if (frame.to !== this.nodeId) {
          this.#stats.misaddressedDropped++;
          return;
        }
        this.#stats.messagesDelivered++;
        // Each WebSocket message has its own buffer, so the payload view is safe to hand out.
        this.#messageHandlers.emit(frame.from, frame.payload);
        return;
      case FrameType.Peers:
        for (const peer of frame.down) this.#peerDown(peer);
        for (const peer of frame.up) this.#peerUp(peer);
        return;
      case FrameType.Ping:
        this.#write(encodeHeartbeat(FrameType.Pong));
        return;
      case FrameType.Hubs:
        this.#hubs.learn(frame.hubs);
        return;
      case FrameType.Pong:
        return;
      case FrameType.Welcome:
        this.#stats.malformedDropped++;
        return;
    }
  }

  #sendHello(): void {
    const attempt = this.#attempt;
    if (attempt?.hub === undefined || this.#announcement === undefined) return;
    this.#write(encodeData(attempt.hub, this.nodeId, this.#announcement));
  }

  #write(frame: Uint8Array): void {
    const socket = this.#attempt?.socket;
    if (socket === undefined || socket.readyState !== OPEN) return;
    try {
      socket.send(frame);
      this.#stats.framesSent++;
      this.#stats.bytesSent += frame.length;
    } catch {
      // A socket closing under us; its close event moves us on.
    }
  }

  /** The connection is gone (heartbeat). */
  #lost(): void {
    const attempt = this.#attempt;
    if (attempt !== undefined) this.#ended(attempt);
  }

  #ended(attempt: Attempt): void {
    if (this.#closed || this.#attempt !== attempt) return;
    this.#attempt = undefined;
    this.#cancelTimer?.();
    this.#heartbeat.stop();
    this.#dispose(attempt.socket, 1000);
    if (attempt.hub === undefined) this.#stats.connectFailures++;
    else this.#stats.failovers++;
    for (const peer of [...this.#known]) this.#peerDown(peer);
    this.#retry();
  }

  #retry(): void {
    const wait = this.#backoff.ended(this.#timers.monotonic(), this.#hubs.size);
    this.#cancelTimer = this.#timers.setTimeout(() => this.#connect(), wait);
  }

  #dispose(socket: WebSocketLike, code: number): void {
    socket.onmessage = null;
    socket.onclose = null;
    // An error after we stopped listening must not surface as an unhandled 'error' event (ws).
    socket.onerror = () => {};
    try {
      socket.close(code);
    } catch {
      // Closing a socket that never opened may throw in some implementations; it is gone anyway.
    }
  }

  #peerUp(peer: NodeId): void {
    if (peer === this.nodeId || this.#known.has(peer)) return;
    this.#known.add(peer);
    this.#peerHandlers.emit(peer, 'up');
  }

  #peerDown(peer: NodeId): void {
    if (!this.#known.delete(peer)) return;
    this.#peerHandlers.emit(peer, 'down');
  }
}

function invalid(name: string, value: unknown): never {
  throw new ShoalError(ErrorCode.InvalidArgument, `invalid WsClient option ${name}: ${String(value)}`, {
    details: { option: name },
  });
}
