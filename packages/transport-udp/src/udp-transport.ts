import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ErrorCode, type MessagePort, type NodeId, ShoalError } from '@shoal/core';
import { HandlerSet } from '@shoal/core/ports';
import { decodeUdpAddress, encodeUdpAddress, isUnicastAddress, udpAddress } from './address/udp-address.js';
import { Announcer, type AnnounceTarget } from './discovery/announcer.js';
import { bindSocket, bufferSizes, closeSocket, enlargeBuffers } from './net/socket.js';
import { SendQueue } from './pacing/send-queue.js';
import { TokenBucket } from './pacing/token-bucket.js';
import { PeerTable } from './peer-table.js';
import { type ResolvedOptions, resolveOptions, type UdpTransportOptions } from './udp-transport-options.js';
import { emptyStats, type UdpTransportStats } from './udp-transport-stats.js';
import { decodeFrame, encodeFrame, frameOverhead } from './wire/frame.js';

/**
 * A {@link MessagePort} over UDP (`node:dgram`): unicast datagrams between peers, discovery by
 * LAN multicast, optional broadcast and bootstrap peers.
 *
 * Guarantees, beyond those of {@link MessagePort}:
 * - **No trust in the network.** Every well-framed datagram is delivered with the sender it
 *   claims and its `source` address ({@link encodeUdpAddress} bytes); core authenticates.
 *   The transport sends unicast only to addresses given through {@link addPeerAddress},
 *   never to one a datagram merely claims, so it cannot be made to reflect traffic.
 * - **Total decoding.** Malformed datagrams are dropped and counted in {@link stats}; no
 *   received byte sequence throws.
 * - **No fragmentation.** Datagrams are at most `maxDatagramSize` (default 1200) bytes.
 * - **Pacing.** Sends leave through a bounded FIFO drained by a token bucket; a full queue
 *   drops and counts rather than buffering without limit.
 * - **Handlers** run from socket events only, never inside `send`; a throwing handler is
 *   counted and the others still run. `onPeer` reports `'up'` the first time a NodeId is
 *   heard from (a hint: the id is unauthenticated) and never `'down'`.
 * - **Close** is idempotent; from its call on, `send` is a no-op and no handler runs.
 */
export class UdpTransport implements MessagePort {
  /** Largest payload {@link send} accepts: `maxDatagramSize` minus this node's framing. */
  readonly maxMessageSize: number;
  /** This node's reachable unicast address as {@link encodeUdpAddress} bytes, for gossip. */
  readonly localAddress: Uint8Array;
  /** The id this transport stamps on its datagrams. */
  readonly nodeId: NodeId;

  readonly #options: ResolvedOptions;
  readonly #unicast: Socket;
  /** Sockets on the discovery ports: the multicast group's, and the broadcast port if another. */
  readonly #discovery: readonly Socket[];
  readonly #stats = emptyStats();
  readonly #peers: PeerTable;
  readonly #queue: SendQueue;
  readonly #announcer: Announcer;
  readonly #messageHandlers: HandlerSet<[NodeId, Uint8Array, Uint8Array]>;
  readonly #peerHandlers: HandlerSet<[NodeId, 'up' | 'down']>;
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * Binds the sockets, joins the multicast group and starts announcing; resolves to a running
   * transport.
   *
   * @throws ShoalError `INVALID_ARGUMENT` for a bad option, `TRANSPORT` when a socket cannot
   *   be bound or the group cannot be joined (set `multicast: false` and use `bootstrap` on
   *   networks without multicast).
   */
  static async open(options: UdpTransportOptions): Promise<UdpTransport> {
    const resolved = resolveOptions(options);
    const type = resolved.family === 4 ? 'udp4' : 'udp6';
    const unicast = createSocket({ type });
    const discovery: Socket[] = [];
    try {
      await bindSocket(unicast, resolved.port, resolved.host);
      enlargeBuffers(unicast, resolved.socketBufferBytes);
      if (resolved.broadcast !== undefined) unicast.setBroadcast(true);
      const group = resolved.multicast;
      if (group !== undefined) {
        // Announcements leave from the unicast socket so their source is the address replies go to.
        unicast.setMulticastTTL(1);
        unicast.setMulticastLoopback(true);
        if (group.interface !== '') unicast.setMulticastInterface(group.interface);
        const multicast = await listenOn(discovery, type, group.port, resolved.socketBufferBytes);
        if (group.interface === '') multicast.addMembership(group.group);
        else multicast.addMembership(group.group, group.interface);
      }
      // Broadcasts reach sockets bound to the wildcard address on their port: the multicast
      // socket already is one when the ports match; otherwise broadcast needs its own.
      const broadcast = resolved.broadcast;
      if (broadcast !== undefined && broadcast.port !== group?.port) {
        await listenOn(discovery, type, broadcast.port, resolved.socketBufferBytes);
      }
    } catch (error) {
      await Promise.all([unicast, ...discovery].map(closeSocket));
      if (error instanceof ShoalError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ShoalError(ErrorCode.Transport, `cannot set up UDP discovery: ${message}`, { cause: error });
    }
    return new UdpTransport(resolved, unicast, discovery);
  }

  private constructor(options: ResolvedOptions, unicast: Socket, discovery: readonly Socket[]) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.maxMessageSize = options.maxDatagramSize - frameOverhead(options.nodeId);
    this.#unicast = unicast;
    this.#discovery = discovery;
    this.localAddress = encodeUdpAddress({
      family: options.family,
      host: options.advertisedHost,
      port: options.advertisedPort ?? unicast.address().port,
    });
    this.#peers = new PeerTable(options.maxTrackedPeers);
    const onHandlerError = () => {
      this.#stats.handlerErrors++;
    };
    this.#messageHandlers = new HandlerSet(onHandlerError);
    this.#peerHandlers = new HandlerSet(onHandlerError);
    const now = () => performance.now();
    this.#queue = new SendQueue({
      bucket: options.pacing === undefined ? undefined : new TokenBucket(options.pacing, now()),
      maxQueuedBytes: options.maxQueuedBytes,
      now,
      write: ({ data, host, port }) => {
        this.#stats.datagramsSent++;
        this.#stats.bytesSent += data.length;
        this.#unicast.send(data, port, host, (error) => {
          if (error) this.#stats.sendErrors++;
        });
      },
    });
    this.#announcer = new Announcer({
      intervalMs: options.announceIntervalMs,
      targets: announceTargets(options),
      random: Math.random,
      send: (bytes, target) => {
        this.#stats.announcementsSent++;
        this.#enqueue(bytes, target.host, target.port);
      },
    });
    for (const socket of [unicast, ...discovery]) {
      socket.on('message', (message, remote) => this.#receive(message, remote));
      socket.on('error', () => {
        this.#stats.socketErrors++;
      });
    }
    if (options.announcement !== undefined) this.setAnnouncement(options.announcement);
    this.#announcer.start();
  }

  /**
   * Sends `bytes` to `peer` at the address last given by {@link addPeerAddress}. Best effort;
   * a peer with no known address is a counted drop, as is a full send queue. A no-op once
   * closed. The bytes are copied: the caller may reuse its buffer at once.
   *
   * @throws ShoalError `INVALID_ARGUMENT` when `bytes` exceeds {@link maxMessageSize}.
   */
  send(to: NodeId, bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#checkSize(bytes);
    const address = this.#peers.address(to);
    if (address === undefined) {
      this.#stats.unknownPeerDropped++;
      return;
    }
    this.#enqueue(encodeFrame(this.nodeId, bytes), address.host, address.port);
  }

  /** Subscribes to every well-framed datagram from another node, with its `source` address. */
  onMessage(handler: (from: NodeId, bytes: Uint8Array, source: Uint8Array) => void): () => void {
    return this.#closed ? () => {} : this.#messageHandlers.add(handler);
  }

  /**
   * Subscribes to `'up'` hints: the first datagram heard from a NodeId. Never reports
   * `'down'`. A late subscriber is not left behind: peers already heard from are reported to
   * it `'up'` on a later event-loop turn (never synchronously from this call).
   */
  onPeer(handler: (peer: NodeId, change: 'up' | 'down') => void): () => void {
    if (this.#closed) return () => {};
    let subscribed = true;
    const unsubscribe = this.#peerHandlers.add(handler);
    const known = this.#peers.seen();
    if (known.length > 0) {
      setImmediate(() => {
        for (const peer of known) {
          if (this.#closed || !subscribed) return;
          try {
            handler(peer, 'up');
          } catch {
            this.#stats.handlerErrors++;
          }
        }
      });
    }
    return () => {
      subscribed = false;
      unsubscribe();
    };
  }

  /**
   * Records where `peer` is reachable. Call it only with addresses learnt from authenticated
   * traffic. Total: returns false (and counts `invalidAddresses`) for bytes that are not an
   * encoded unicast address of this transport's IP family, and changes nothing then.
   */
  addPeerAddress(peer: NodeId, address: Uint8Array): boolean {
    const decoded = decodeUdpAddress(address);
    if (!decoded.ok || decoded.value.family !== this.#options.family || !isUnicastAddress(decoded.value)) {
      this.#stats.invalidAddresses++;
      return false;
    }
    // A peer newly vouched for (by authenticated traffic) restarts the announcement backoff, so
    // it hears us soon; an unauthenticated datagram from a fresh id never does, or junk from
    // ever-new ids would keep this node announcing at its fastest rate.
    const known = this.#peers.address(peer) !== undefined;
    this.#peers.setAddress(peer, decoded.value);
    if (!known) this.#announcer.reset();
    return true;
  }

  /** Forgets `peer`'s address (sends to it drop again) and that it was heard from. */
  removePeer(peer: NodeId): void {
    this.#peers.remove(peer);
  }

  /**
   * Sets the opaque announcement (core's sealed hello) sent to the multicast group, the
   * broadcast address and every bootstrap peer: at once, then every `announceIntervalMs`.
   * `undefined` stops announcing. The bytes are copied.
   *
   * @throws ShoalError `INVALID_ARGUMENT` when `bytes` exceeds {@link maxMessageSize}.
   */
  setAnnouncement(bytes: Uint8Array | undefined): void {
    if (this.#closed) return;
    if (bytes !== undefined) this.#checkSize(bytes);
    this.#announcer.set(bytes === undefined ? undefined : encodeFrame(this.nodeId, bytes));
  }

  /** A snapshot of the counters; see {@link UdpTransportStats}. */
  stats(): UdpTransportStats {
    const buffers = bufferSizes(this.#unicast);
    return {
      ...this.#stats,
      queuedBytes: this.#queue.queuedBytes,
      queuedDatagrams: this.#queue.length,
      receiveBufferBytes: buffers.receive,
      sendBufferBytes: buffers.send,
    };
  }

  /** Stops announcing, drops queued datagrams and closes the sockets. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    this.#announcer.stop();
    this.#queue.clear();
    this.#messageHandlers.clear();
    this.#peerHandlers.clear();
    await Promise.all([this.#unicast, ...this.#discovery].map(closeSocket));
  }

  #checkSize(bytes: Uint8Array): void {
    if (bytes.length > this.maxMessageSize) {
      throw new ShoalError(
        ErrorCode.InvalidArgument,
        `message of ${bytes.length} bytes exceeds maxMessageSize`,
        {
          details: { size: bytes.length, maxMessageSize: this.maxMessageSize },
        },
      );
    }
  }

  #enqueue(datagram: Uint8Array, host: string, port: number): void {
    if (!this.#queue.push({ data: datagram, host, port })) this.#stats.queueFullDropped++;
  }

  #receive(message: Buffer, remote: RemoteInfo): void {
    if (this.#closed) return;
    this.#stats.datagramsReceived++;
    this.#stats.bytesReceived += message.length;
    const frame = decodeFrame(message);
    const source = udpAddress(remote.address, remote.port);
    if (!frame.ok || source === undefined) {
      this.#stats.malformedDropped++;
      return;
    }
    const { from } = frame.value;
    if (from === this.nodeId) {
      this.#stats.ownDropped++;
      return;
    }
    if (this.#peers.markSeen(from)) this.#peerHandlers.emit(from, 'up');
    // A handler may have closed the transport; nothing runs after close.
    if (this.#closed) return;
    this.#stats.messagesDelivered++;
    // Node gives each datagram its own memory, so the payload view is safe to hand out uncopied.
    this.#messageHandlers.emit(from, frame.value.payload, encodeUdpAddress(source));
  }
}

/**
 * Binds a socket on discovery port `port` of the wildcard address and adds it to `sockets`
 * (before binding, so a failure still closes it). reuseAddr lets every Shoal process on this
 * host bind the same port: each hears every multicast and broadcast datagram sent to it.
 */
async function listenOn(sockets: Socket[], type: 'udp4' | 'udp6', port: number, bufferBytes: number) {
  const socket = createSocket({ type, reuseAddr: true });
  sockets.push(socket);
  await bindSocket(socket, port, type === 'udp4' ? '0.0.0.0' : '::');
  enlargeBuffers(socket, bufferBytes);
  return socket;
}

function announceTargets(options: ResolvedOptions): AnnounceTarget[] {
  const targets: AnnounceTarget[] = [];
  if (options.multicast !== undefined)
    targets.push({ host: options.multicast.group, port: options.multicast.port });
  if (options.broadcast !== undefined) {
    targets.push({ host: options.broadcast.address, port: options.broadcast.port });
  }
  targets.push(...options.bootstrap);
  return targets;
}
