import type { TimerPort } from '@shoal/core';

/** Tuning of {@link Heartbeat}; defaults are those of ADR 0020. */
export interface HeartbeatOptions {
  /** Silence after which a Ping is sent. Default 10 s. */
  readonly pingAfterMs?: number;
  /** Silence after which the connection is declared dead. Default 25 s. */
  readonly deadAfterMs?: number;
}

/**
 * Application-level liveness of one connection (browsers cannot send WebSocket ping frames).
 * Any frame received counts as alive ({@link Heartbeat.heard} only stores a number, so it is
 * cheap per frame); after `pingAfterMs` of silence one Ping is sent, and after `deadAfterMs`
 * of silence `onDead` runs once. One timer is pending at a time, moved only when the answer to a
 * ping arrives.
 */
export class Heartbeat {
  readonly #timers: TimerPort;
  readonly #pingAfterMs: number;
  readonly #deadAfterMs: number;
  readonly #ping: () => void;
  readonly #onDead: () => void;
  #lastHeard = 0;
  #pinged = false;
  #cancel: (() => void) | undefined;

  constructor(
    timers: TimerPort,
    callbacks: { readonly ping: () => void; readonly onDead: () => void },
    options: HeartbeatOptions = {},
  ) {
    this.#timers = timers;
    this.#ping = callbacks.ping;
    this.#onDead = callbacks.onDead;
    this.#pingAfterMs = options.pingAfterMs ?? 10_000;
    this.#deadAfterMs = options.deadAfterMs ?? 25_000;
  }

  /** Starts watching, counting the start as a frame heard. */
  start(): void {
    this.stop();
    this.heard();
    this.#schedule(this.#pingAfterMs);
  }

  /** A frame arrived. */
  heard(): void {
    this.#lastHeard = this.#timers.monotonic();
    if (!this.#pinged) return;
    // The answer to a ping: the pending check was for death; the next ping is due sooner.
    this.#pinged = false;
    if (this.#cancel === undefined) return;
    this.#cancel();
    this.#schedule(this.#pingAfterMs);
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #schedule(ms: number): void {
    this.#cancel = this.#timers.setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    this.#cancel = undefined;
    const silent = this.#timers.monotonic() - this.#lastHeard;
    if (silent >= this.#deadAfterMs) {
      this.#onDead();
      return;
    }
    if (silent >= this.#pingAfterMs && !this.#pinged) {
      this.#pinged = true;
      this.#ping();
    }
    const next = silent < this.#pingAfterMs ? this.#pingAfterMs : this.#deadAfterMs;
    this.#schedule(next - silent);
  }
}
