/**
 * Counters of a {@link UdpTransport}, monotonic since `open` except the `queued*` gauges.
 * Every datagram the transport drops is counted in exactly one `*Dropped` counter.
 */
export interface UdpTransportStats {
  /** Datagrams handed to the socket (messages and announcements). */
  datagramsSent: number;
  /** Bytes handed to the socket, framing included. */
  bytesSent: number;
  /** Announcements handed to the send queue, one per target. */
  announcementsSent: number;
  /** Datagrams received on either socket, well-framed or not. */
  datagramsReceived: number;
  /** Bytes received on either socket. */
  bytesReceived: number;
  /** Received datagrams delivered to `onMessage` subscribers. */
  messagesDelivered: number;
  /** Received datagrams that failed to decode (bad magic, version, id). */
  malformedDropped: number;
  /** Received datagrams claiming this node as sender (our own multicast looping back). */
  ownDropped: number;
  /** `send` calls to a peer with no known address. */
  unknownPeerDropped: number;
  /** Datagrams refused because the send queue was full. */
  queueFullDropped: number;
  /** Sends the socket reported as failed (unreachable, DNS failure for bootstrap names). */
  sendErrors: number;
  /** `error` events of the sockets after open. */
  socketErrors: number;
  /** Exceptions thrown by subscribers, contained by the transport. */
  handlerErrors: number;
  /** `addPeerAddress` calls with bytes that are not a usable unicast address. */
  invalidAddresses: number;
  /** Gauge: bytes waiting in the send queue. */
  queuedBytes: number;
  /** Gauge: datagrams waiting in the send queue. */
  queuedDatagrams: number;
  /** SO_RCVBUF the OS granted to the unicast socket (Linux reports twice the request). */
  receiveBufferBytes: number;
  /** SO_SNDBUF the OS granted to the unicast socket. */
  sendBufferBytes: number;
}

/** A zeroed stats record. */
export function emptyStats(): UdpTransportStats {
  return {
    datagramsSent: 0,
    bytesSent: 0,
    announcementsSent: 0,
    datagramsReceived: 0,
    bytesReceived: 0,
    messagesDelivered: 0,
    malformedDropped: 0,
    ownDropped: 0,
    unknownPeerDropped: 0,
    queueFullDropped: 0,
    sendErrors: 0,
    socketErrors: 0,
    handlerErrors: 0,
    invalidAddresses: 0,
    queuedBytes: 0,
    queuedDatagrams: 0,
    receiveBufferBytes: 0,
    sendBufferBytes: 0,
  };
}
