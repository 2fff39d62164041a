/**
 * Counters of a {@link WsHub}, monotonic since it opened except the gauges `connections`,
 * `bound` and `queuedBytes`. Every inbound frame the hub refuses is counted in one `*Dropped`
 * counter or closes its connection with a counted reason.
 */
export interface WsHubStats {
  /** Gauge: open client connections. */
  connections: number;
  /** Gauge: distinct node ids with a routed connection. */
  bound: number;
  /** Gauge: bytes waiting in client queues. */
  queuedBytes: number;
  /** Connections accepted. */
  accepted: number;
  /** Connections refused by `maxConnections` or `maxConnectionsPerAddress` (closed 1013). */
  rejected: number;
  /** Connections closed for sending no hello within `helloTimeoutMs` (1008). */
  helloTimeouts: number;
  /** Connections closed for sending more than `maxHelloBytes` before binding (1008). */
  helloTooLarge: number;
  /** Connections closed for sending a text frame (1003). */
  textFrames: number;
  /** Connections closed by the WebSocket layer for a frame above `maxPayload` or a protocol error. */
  protocolErrors: number;
  /** Connections dropped for missing a ping period. */
  heartbeatTimeouts: number;
  /** Binary frames that did not decode, or are not something a client sends. */
  malformedDropped: number;
  /** Data frames from an unbound connection to anyone but the hub. */
  unboundDropped: number;
  /** Data frames whose `from` is not the id the connection is bound to. */
  spoofedDropped: number;
  /** Vouches (`addPeerAddress`) refused: an unknown or closed connection, or one bound to another id. */
  invalidAddresses: number;
  /** Data frames delivered to `onMessage`. */
  messagesDelivered: number;
  /** Data frames forwarded to another connection. */
  relayed: number;
  /** Data frames for an id with no connection here (the sender is told it is down). */
  relayUnknown: number;
  /** `send` calls to an id with no connection here. */
  unknownPeerDropped: number;
  /** Client queues dropped for backpressure; see {@link OutboundCounters}. */
  queueDrops: number;
  /** Frames dropped with those queues or refused because a socket was full. */
  backpressureDropped: number;
  /** Exceptions thrown by subscribers, contained. */
  handlerErrors: number;
}

/** A zeroed stats record. */
export function emptyHubStats(): WsHubStats {
  return {
    connections: 0,
    bound: 0,
    queuedBytes: 0,
    accepted: 0,
    rejected: 0,
    helloTimeouts: 0,
    helloTooLarge: 0,
    textFrames: 0,
    protocolErrors: 0,
    heartbeatTimeouts: 0,
    malformedDropped: 0,
    unboundDropped: 0,
    spoofedDropped: 0,
    invalidAddresses: 0,
    messagesDelivered: 0,
    relayed: 0,
    relayUnknown: 0,
    unknownPeerDropped: 0,
    queueDrops: 0,
    backpressureDropped: 0,
    handlerErrors: 0,
  };
}
