import type { NodeId, TimerPort } from '@shoal/core';
import type { WebSocket } from 'ws';
import { encodeConnectionToken } from './connection-token.js';

/** Bounds on what a hub holds for one slow client (ADR 0020). */
export interface OutboundLimits {
  /** Above this many bytes buffered in the socket, Data frames wait in the connection's queue. */
  readonly pauseAboveBytes: number;
  /** When socket buffer plus queue would pass this, the queue is dropped. */
  readonly dropAboveBytes: number;
  /** A queue that has not moved for this long is dropped. */
  readonly stuckMs: number;
}

/** Counters a connection adds to, shared by every connection of a hub. */
export interface OutboundCounters {
  /** Times a connection's queue was dropped (too large, or stuck). */
  queueDrops: number;
  /** Frames dropped with those queues, or refused because the socket or queue was full. */
  backpressureDropped: number;
}

/**
 * One client connection of a hub: the socket, the id it is bound to once core vouched for it,
 * and a bounded outbound queue. Control frames (Welcome, Peers, Pong, Hubs) go straight to the
 * socket; Data frames ("bulk") wait while the socket buffers more than `pauseAboveBytes`, and
 * the whole queue is dropped (counted; anti-entropy repairs) when it would pass
 * `dropAboveBytes` or has not moved for `stuckMs`. So a slow client costs the hub at most
 * about `dropAboveBytes` plus one frame, however much traffic is addressed to it.
 */
export class HubConnection {
  readonly serial: number;
  readonly token: Uint8Array;
  readonly address: string;
  readonly socket: WebSocket;
  /** The node id core vouched for (or, on a blind relay, the id the client claimed). */
  id: NodeId | undefined;
  /** Bytes received before the connection was bound. */
  bytesBeforeHello = 0;
  /** Whether anything (a frame or a pong) arrived since the last ping. */
  alive = true;
  cancelHello: (() => void) | undefined;

  readonly #timers: TimerPort;
  readonly #limits: OutboundLimits;
  readonly #counters: OutboundCounters;
  #queue: Uint8Array[] = [];
  #head = 0;
  #queuedBytes = 0;
  #lastProgress = 0;
  #cancelStuck: (() => void) | undefined;

  constructor(options: {
    readonly serial: number;
    readonly address: string;
    readonly socket: WebSocket;
    readonly timers: TimerPort;
    readonly limits: OutboundLimits;
    readonly counters: OutboundCounters;
  }) {
    this.serial = options.serial;
    this.token = encodeConnectionToken(options.serial);
    this.address = options.address;
    this.socket = options.socket;
    this.#timers = options.timers;
    this.#limits = options.limits;
    this.#counters = options.counters;
  }

  /** Bytes waiting in this connection's queue (not yet handed to the socket). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Sends a small control frame now, ahead of any queued Data; dropped (and counted) only when
   * the socket already buffers `dropAboveBytes`, so a client that floods Pings or unknown
   * destinations without reading cannot grow the hub's memory either.
   */
  control(frame: Uint8Array): void {
    if (this.socket.bufferedAmount > this.#limits.dropAboveBytes) {
      this.#counters.backpressureDropped++;
      return;
    }
    this.socket.send(frame);
  }

  /** Sends a Data frame, or queues it behind a backlog, or drops it (see the class notes). */
  bulk(frame: Uint8Array): void {
    if (this.#queue.length === this.#head && this.socket.bufferedAmount <= this.#limits.pauseAboveBytes) {
      this.socket.send(frame, this.#drain);
      return;
    }
    if (this.socket.bufferedAmount + this.#queuedBytes + frame.length > this.#limits.dropAboveBytes) {
      this.#dropQueue();
      this.#counters.backpressureDropped++;
      return;
    }
    if (this.#queue.length === this.#head) {
      this.#lastProgress = this.#timers.monotonic();
      this.#armStuck(this.#limits.stuckMs);
    }
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
  }

  /** Forgets the queue and its timer (the socket is closing). */
  clear(): void {
    this.cancelHello?.();
    this.#resetQueue();
  }

  /** Runs after each write reaches the socket: moves queued frames while the buffer allows. */
  readonly #drain = (): void => {
    let moved = false;
    while (this.#head < this.#queue.length && this.socket.bufferedAmount <= this.#limits.pauseAboveBytes) {
      const frame = this.#queue[this.#head] as Uint8Array;
      this.#queue[this.#head++] = EMPTY;
      this.#queuedBytes -= frame.length;
      moved = true;
      this.socket.send(frame, this.#drain);
    }
    if (moved) this.#lastProgress = this.#timers.monotonic();
    if (this.#head === this.#queue.length) this.#resetQueue();
    else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  };

  #resetQueue(): void {
    this.#cancelStuck?.();
    this.#cancelStuck = undefined;
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  #armStuck(ms: number): void {
    this.#cancelStuck?.();
    this.#cancelStuck = this.#timers.setTimeout(() => {
      this.#cancelStuck = undefined;
      if (this.#head === this.#queue.length) return;
      const idle = this.#timers.monotonic() - this.#lastProgress;
      if (idle >= this.#limits.stuckMs) this.#dropQueue();
      else this.#armStuck(this.#limits.stuckMs - idle);
    }, ms);
  }

  #dropQueue(): void {
    const dropped = this.#queue.length - this.#head;
    if (dropped === 0) return;
    this.#counters.queueDrops++;
    this.#counters.backpressureDropped += dropped;
    this.#resetQueue();
  }
}

const EMPTY = new Uint8Array(0);
