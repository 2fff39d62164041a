import { ErrorCode, isShoalError, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import type { Compression } from '../ports/compression.js';
import type { MessagePort } from '../ports/message-port.js';
import type { TimerPort } from '../ports/timer-port.js';
import { decodeEnvelope, ENVELOPE_OVERHEAD, encodeEnvelope } from '../protocol/envelope.js';
import { FRAGMENT_HEADER_BYTES, fragment, Reassembler } from '../protocol/fragments.js';
import { MessageType } from '../protocol/message-type.js';
import type { MessageSealer } from '../security/message-sealer.js';
import { varintSize } from '../wire/byte-writer.js';
import type { CoordinatorConfig } from './config.js';
import type { ErrorReporter } from './error-reporter.js';
import { PeerBudgets } from './peer-budget.js';
import { TrafficCounters } from './traffic-counters.js';

/** Handles the body of one message type from an authenticated sender. */
export type BodyHandler = (from: NodeId, body: Uint8Array) => void;

/** What the courier needs from the rest of the node. */
export interface CourierDeps {
  readonly sealer: MessageSealer;
  readonly compression: Compression;
  readonly timers: TimerPort;
  readonly config: CoordinatorConfig;
  readonly errors: ErrorReporter;
  /** The port a peer is reached through (default: the first). */
  readonly portFor: (peer: NodeId) => MessagePort | undefined;
  /** Every port the node listens on. */
  readonly ports: readonly MessagePort[];
  /** Membership gossip to attach, at most `maxBytes` (SWIM piggybacking). */
  readonly takePiggyback: (maxBytes: number) => Uint8Array | undefined;
  /** Gossip that rode on a message from `from`. */
  readonly handlePiggyback: (from: NodeId, bytes: Uint8Array) => void;
  /** A sealed message from `from` opened on `port` (from `source`, when the port has addresses). */
  readonly authenticated: (from: NodeId, port: MessagePort, source: Uint8Array | undefined) => void;
  /** An authentic message from `from` carried a boot epoch older than `knownEpoch`, seen before. */
  readonly staleEpoch: (from: NodeId, knownEpoch: number) => void;
}

/**
 * The message pipeline between the node's subsystems and its ports: seal and open, envelope and
 * piggyback, fragments, and a registry of handlers by message type (adding a message kind adds
 * a handler, not a branch).
 *
 * Guarantees: inbound bytes never throw out of {@link Courier.receive}: a message that does not
 * authenticate is dropped and reported (`AUTH_FAILED`), one that does not decode or whose handler
 * fails is dropped and counted ({@link Courier.badMessages}); one from a sender over its rate
 * budget ({@link PeerBudgets}) is dropped unread and counted ({@link Courier.throttled}), the
 * episode reported once (`LIMIT_EXCEEDED`); nothing is ever sent in answer to a message that
 * did not authenticate. Outbound, a message too large for a datagram goes in
 * fragments with no gossip aboard, so retransmissions of the same content complete each other.
 */
export class Courier {
  readonly #deps: CourierDeps;
  readonly #handlers = new Map<MessageType, BodyHandler>();
  readonly #reassembler: Reassembler;
  /** How well delta bodies deflate lately (raw ÷ sent); starts where typical JSON-ish data lands. */
  #deltaCompression = 2;
  #badMessages = 0;
  readonly #budgets: PeerBudgets;
  /** Messages and wire bytes by type, sent and received. */
  readonly traffic = new TrafficCounters();
  #open = true;
  #cancelAnnounce: (() => void) | undefined;

  constructor(deps: CourierDeps) {
    this.#deps = deps;
    const { config } = deps;
    this.#reassembler = new Reassembler({
      // One largest value or payload, plus its entry's framing.
      maxMessageBytes: Math.max(config.limits.maxValueBytes, config.limits.maxPayloadBytes) + 16 * 1024,
      maxPendingBytes: config.limits.maxPendingFragmentBytes,
      // Long enough for the pieces of several anti-entropy rounds to meet.
      timeoutMs: 100 * config.gossipInterval + 10_000,
    });
    this.#budgets = new PeerBudgets(config.limits, (peer, limit) =>
      deps.errors.report(
        new ShoalError(
          ErrorCode.LimitExceeded,
          `${peer} is over its budget (limits.${limit}): its messages are dropped until it slows down`,
          { details: { peer, limit } },
        ),
      ),
    );
  }

  /** Inbound messages that authenticated but did not decode or failed in a handler. */
  get badMessages(): number {
    return this.#badMessages;
  }

  /** Authenticated messages dropped unread because their sender was over its rate budget. */
  get throttled(): number {
    return this.#budgets.refused;
  }

  /** Registers the handler of one message type (one per type). */
  on(type: MessageType, handler: BodyHandler): void {
    this.#handlers.set(type, handler);
  }

  /** Stops sending and receiving (the node is paused or stopped) or starts again. */
  setOpen(open: boolean): void {
    this.#open = open;
  }

  /** Takes one datagram from `port`. Never throws. */
  receive(port: MessagePort, from: NodeId, bytes: Uint8Array, source: Uint8Array | undefined): void {
    if (!this.#open) return;
    const opened = this.#deps.sealer.open(bytes, from);
    if (!opened.ok && opened.reason === 'stale-epoch') {
      this.#deps.staleEpoch(from, opened.knownEpoch);
      return;
    }
    if (!opened.ok) {
      if (
        opened.reason === 'auth-failed' ||
        opened.reason === 'unknown-key' ||
        opened.reason === 'mode-mismatch'
      ) {
        this.#deps.errors.report(
          new ShoalError(
            ErrorCode.AuthFailed,
            `dropped a message claiming to be from ${from}: ${opened.reason}`,
          ),
        );
      }
      return;
    }
    const { timers } = this.#deps;
    const start = timers.monotonic();
    try {
      // Authenticated from here on: the sender and its address can be trusted. A throttled
      // sender still counts as heard, so a busy honest peer is slowed, not declared dead.
      this.#deps.authenticated(from, port, source);
      if (!this.#budgets.admit(from, bytes.length, start)) return;
      this.#dispatch(from, opened.body, bytes.length);
    } catch (error) {
      // A handler bug must not take the node down; count it and tell the application.
      this.#badMessage(from, isShoalError(error) ? error.message : String(error));
    }
    // Handler time is known only afterwards, so it is charged to the sender's next messages.
    const end = timers.monotonic();
    this.#budgets.chargeCpu(from, end - start, end);
  }

  /** Seals and sends one message to `to`, with gossip aboard when there is room. */
  send(to: NodeId, type: MessageType, body: Uint8Array): void {
    const port = this.#deps.portFor(to);
    if (port === undefined || !this.#open) return;
    const { sealer, compression } = this.#deps;
    const datagram = port.maxMessageSize - sealer.overhead;
    const room = datagram - ENVELOPE_OVERHEAD - body.length;
    const piggyback = room > 16 ? this.#deps.takePiggyback(room - varintSize(room)) : undefined;
    const envelope = encodeEnvelope(type, body, piggyback, compression);
    if (type === MessageType.Delta && body.length >= 512) {
      // How well deltas compress lately (an exponential moving average of raw ÷ sent).
      this.#deltaCompression = 0.8 * this.#deltaCompression + 0.2 * (body.length / envelope.length);
    }
    if (envelope.length <= datagram) {
      const sealed = sealer.seal(envelope);
      this.traffic.sent(type, sealed.length);
      port.send(to, sealed);
      return;
    }
    // Only an entry larger than a datagram gets here. No gossip rides along, so the same content
    // makes the same fragments every time and retransmissions complete each other.
    const pieceBytes = datagram - ENVELOPE_OVERHEAD - FRAGMENT_HEADER_BYTES;
    for (const piece of fragment(encodeEnvelope(type, body, undefined, compression), pieceBytes)) {
      const sealed = sealer.seal(encodeEnvelope(MessageType.Fragment, piece));
      this.traffic.sent(MessageType.Fragment, sealed.length);
      port.send(to, sealed);
    }
  }

  /** Largest sync body: the smallest port's datagram, less sealing and envelope, less room for gossip. */
  bodyBudget(): number {
    const smallest = Math.min(...this.#deps.ports.map((port) => port.maxMessageSize));
    const gossipRoom = Math.min(256, Math.floor(smallest / 8));
    return smallest - this.#deps.sealer.overhead - ENVELOPE_OVERHEAD - 3 - gossipRoom;
  }

  /**
   * Largest raw delta body to pack into one message: a little under what the observed deflate
   * ratio fits in {@link Courier.bodyBudget} (the budget keeps room for gossip, which a full chunk
   * leaves out), never beyond 5×, so chunks rarely need fragments. Bigger chunks deflate better:
   * 9.5 B per small map entry at 3.3 KB, 11.8 B at 1.1 KB.
   */
  deltaBudget(): number {
    return Math.floor(this.bodyBudget() * Math.min(5, Math.max(1, this.#deltaCompression * 0.9)));
  }

  /**
   * Hands each discovery-capable port (UDP multicast) a fresh sealed hello to announce, sealed
   * anew every 10 s (peers drop a repeated seal as a replay, so a peer that restarted needs a
   * fresh one), until {@link Courier.stopAnnouncing}.
   */
  announce(): void {
    this.stopAnnouncing();
    const ports = this.#deps.ports.filter(
      (port) => typeof (port as AnnouncingPort).setAnnouncement === 'function',
    );
    if (ports.length === 0) return;
    const hello = this.#deps.sealer.seal(encodeEnvelope(MessageType.Hello, new Uint8Array()));
    for (const port of ports) (port as AnnouncingPort).setAnnouncement(hello);
    this.#cancelAnnounce = this.#deps.timers.setTimeout(() => this.announce(), 10_000);
  }

  stopAnnouncing(): void {
    this.#cancelAnnounce?.();
    this.#cancelAnnounce = undefined;
  }

  /**
   * Handles an authenticated envelope that arrived as `wireBytes` on the wire; 0 for one rebuilt
   * from fragments (which may not be a fragment itself).
   */
  #dispatch(from: NodeId, bytes: Uint8Array, wireBytes: number): void {
    const mayBeFragment = wireBytes > 0;
    const envelope = decodeEnvelope(bytes, this.#deps.compression);
    if (!envelope.ok) {
      this.#badMessage(from, envelope.error);
      return;
    }
    const { type, body, piggyback } = envelope.value;
    this.traffic.received(type, wireBytes);
    if (piggyback.length > 0) this.#deps.handlePiggyback(from, piggyback);
    if (type === MessageType.Fragment) {
      if (!mayBeFragment) {
        this.#badMessage(from, 'a fragment inside a fragment');
        return;
      }
      const whole = this.#reassembler.add(from, body, this.#deps.timers.monotonic());
      if (whole !== undefined) this.#dispatch(from, whole, 0);
      return;
    }
    this.#handlers.get(type)?.(from, body);
  }

  /** Drops a message that authenticated but is not one we understand. */
  badMessage(from: NodeId, reason: string): void {
    this.#badMessage(from, reason);
  }

  #badMessage(from: NodeId, reason: string): void {
    this.#badMessages++;
    this.#deps.errors.report(
      new ShoalError(ErrorCode.DecodeFailed, `dropped a message from ${from}: ${reason}`),
    );
  }
}

/** A transport that multicasts an announcement for discovery (UdpTransport). */
interface AnnouncingPort extends MessagePort {
  setAnnouncement(bytes: Uint8Array | undefined): void;
}
