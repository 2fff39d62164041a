import { ErrorCode, isShoalError, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import type { Compression } from '../ports/compression.js';
import type { MessagePort } from '../ports/message-port.js';
import type { TimerPort } from '../ports/timer-port.js';
import { decodeEnvelope, ENVELOPE_OVERHEAD, encodeEnvelope } from '../protocol/envelope.js';
import { FRAGMENT_HEADER_BYTES, fragment, Reassembler } from '../protocol/fragments.js';
import { MessageType } from '../protocol/message-type.js';
import type { MessageSealer } from '../security/message-sealer.js';
import type { PeerKeys } from '../security/peer-keys.js';
import { varintSize } from '../wire/byte-writer.js';
import type { CoordinatorConfig } from './config.js';
import type { ErrorReporter } from './error-reporter.js';
import { decodeHello, KeyExchange } from './key-exchange.js';
import { PeerBudgets } from './peer-budget.js';
import { TrafficCounters } from './traffic-counters.js';

/** Handles the body of one message type from an authenticated sender. */
export type BodyHandler = (from: NodeId, body: Uint8Array) => void;

/** What the courier needs from the rest of the node. */
export interface CourierDeps {
  readonly sealer: MessageSealer;
  /** This node's identity and its peers' keys, when it pair-seals (the sealer holds the same). */
  readonly keys: PeerKeys | undefined;
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
  /**
   * A message that authenticated as from `from` itself opened on `port` (from `source`, when the
   * port has addresses): pair-sealed, or a hello from a peer not yet bound to a key.
   */
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
  /** Present when the node pair-seals: how keys are learned and told. */
  readonly #exchange: KeyExchange | undefined;
  #unpaired = 0;

  constructor(deps: CourierDeps) {
    this.#deps = deps;
    const { config } = deps;
    this.#exchange =
      deps.keys === undefined
        ? undefined
        : new KeyExchange({
            keys: deps.keys,
            timers: deps.timers,
            roundTimeout: config.pullTimeout,
            sendHello: (to, body) => this.#sendHello(to, body),
            resend: (to, type, body) => this.send(to, type, body),
            report: (error) => deps.errors.report(error),
          });
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

  /**
   * Messages dropped because they were sealed only under the network key where pair sealing was
   * required: some holder of the secret speaking in another node's name.
   */
  get unpaired(): number {
    return this.#unpaired;
  }

  /** Hellos offering a new key for an id whose key was heard recently (refused). */
  get refusedKeys(): number {
    return this.#exchange?.refused ?? 0;
  }

  /**
   * A transport reports `peer` reachable: a pairing node asks for its key at once, so what
   * depends on knowing it (channels listed by member keys) need not wait for other traffic.
   */
  introduce(peer: NodeId): void {
    this.#exchange?.introduce(peer);
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
      // Its hello still counts: the sender needs our key to open the notice we just sent it.
      const envelope = decodeEnvelope(opened.body, this.#deps.compression);
      if (envelope.ok && envelope.value.type === MessageType.Hello) {
        this.#hello(from, envelope.value.body, () => {});
      }
      return;
    }
    if (!opened.ok && opened.reason === 'unknown-peer-key') {
      this.#exchange?.unknownKey(from);
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
    const { timers, keys } = this.#deps;
    const start = timers.monotonic();
    try {
      // Authenticated from here on: the sender and its address can be trusted. A throttled
      // sender still counts as heard, so a busy honest peer is slowed, not declared dead. Where
      // nodes pair-seal, only a pair-sealed message proves its sender; a hello under the network
      // key vouches only when the hello handler takes its key (see #hello).
      const vouch = () => this.#deps.authenticated(from, port, source);
      const paired = opened.paired || keys === undefined;
      if (paired) vouch();
      if (!this.#budgets.admit(from, bytes.length, start)) return;
      this.#dispatch(from, opened.body, bytes.length, paired, vouch);
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
    if (this.#exchange !== undefined && !this.#exchange.beforeSend(to, type, body)) return;
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
      const sealed = sealer.seal(envelope, to);
      this.traffic.sent(type, sealed.length);
      port.send(to, sealed);
      return;
    }
    // Only an entry larger than a datagram gets here. No gossip rides along, so the same content
    // makes the same fragments every time and retransmissions complete each other.
    const pieceBytes = datagram - ENVELOPE_OVERHEAD - FRAGMENT_HEADER_BYTES;
    for (const piece of fragment(encodeEnvelope(type, body, undefined, compression), pieceBytes)) {
      const sealed = sealer.seal(encodeEnvelope(MessageType.Fragment, piece), to);
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
   * Measures how well `body` (a full delta chunk about to be sent) deflates and takes that as
   * the ratio {@link Courier.deltaBudget} works from, instead of the running average: a large
   * answer is chunked all at once, and chunked by the average of a node that has sent few deltas
   * (2 until it learns), a newcomer's 100k entries went in 2.5 times as many messages as needed.
   */
  calibrateDeltas(body: Uint8Array): void {
    const envelope = encodeEnvelope(MessageType.Delta, body, undefined, this.#deps.compression);
    this.#deltaCompression = body.length / envelope.length;
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
    const body = this.#exchange?.announcement() ?? new Uint8Array();
    const hello = this.#deps.sealer.seal(encodeEnvelope(MessageType.Hello, body));
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
  #dispatch(from: NodeId, bytes: Uint8Array, wireBytes: number, paired: boolean, vouch: () => void): void {
    const mayBeFragment = wireBytes > 0;
    const envelope = decodeEnvelope(bytes, this.#deps.compression);
    if (!envelope.ok) {
      this.#badMessage(from, envelope.error);
      return;
    }
    const { type, body, piggyback } = envelope.value;
    if (type !== MessageType.Hello && !paired) {
      // Sealed under the network key alone: any holder of the secret could have sent it.
      this.#unpaired++;
      this.#deps.errors.report(
        new ShoalError(
          ErrorCode.AuthFailed,
          `dropped a message claiming to be from ${from}: not pair-sealed`,
        ),
      );
      return;
    }
    this.traffic.received(type, wireBytes);
    if (type === MessageType.Hello) {
      this.#hello(from, body, paired ? () => {} : vouch);
      return;
    }
    if (piggyback.length > 0) this.#deps.handlePiggyback(from, piggyback);
    if (type === MessageType.Fragment) {
      if (!mayBeFragment) {
        this.#badMessage(from, 'a fragment inside a fragment');
        return;
      }
      const whole = this.#reassembler.add(from, body, this.#deps.timers.monotonic());
      if (whole !== undefined) this.#dispatch(from, whole, 0, paired, vouch);
      return;
    }
    this.#handlers.get(type)?.(from, body);
  }

  /**
   * A hello: a peer's key (ignored by a node that does not pair-seal). `vouch` marks its sender
   * heard at its address when the key is taken: the id's bound key again (a reconnect, whose
   * hub connection must be bound before the answer can reach it) or a new candidate. A key
   * refused for a live id moves nothing.
   */
  #hello(from: NodeId, body: Uint8Array, vouch: () => void): void {
    if (this.#exchange === undefined) return;
    const hello = decodeHello(body);
    if (hello.ok) this.#exchange.handleHello(from, hello.value, vouch);
    else this.#badMessage(from, `bad hello: ${hello.error}`);
  }

  /** Seals a hello under the network key (the receiver may not know our key yet) and sends it. */
  #sendHello(to: NodeId, body: Uint8Array): void {
    const port = this.#deps.portFor(to);
    if (port === undefined || !this.#open) return;
    const sealed = this.#deps.sealer.seal(encodeEnvelope(MessageType.Hello, body));
    this.traffic.sent(MessageType.Hello, sealed.length);
    port.send(to, sealed);
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
