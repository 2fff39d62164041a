import type { SyncOutcome } from './subject.js';

/** One side of a message-driven sync protocol (y-protocols, Automerge sync). */
export interface Endpoint {
  /** Messages sent on (re)connect. */
  open(): Uint8Array[];
  /** Handles one message; returns the replies. */
  receive(message: Uint8Array): Uint8Array[];
}

/**
 * Runs a protocol between two endpoints hop by hop, as on a link where both sides start at
 * once and every message takes one one-way delay: hop k delivers what hop k-1 produced. Counts
 * every message until neither side has anything left to say; round trips are the hops until
 * `converged()` first holds, halved.
 */
export function lockstep(a: Endpoint, b: Endpoint, converged: () => boolean): SyncOutcome {
  const started = performance.now();
  let inFlight: { to: Endpoint; message: Uint8Array }[] = [
    ...a.open().map((message) => ({ to: b, message })),
    ...b.open().map((message) => ({ to: a, message })),
  ];
  let bytes = 0;
  let messages = 0;
  let hops = 0;
  let convergedHop: number | undefined = converged() ? 0 : undefined;
  while (inFlight.length > 0) {
    hops++;
    const next: typeof inFlight = [];
    for (const { to, message } of inFlight) {
      bytes += message.length;
      messages++;
      const back = to === a ? b : a;
      for (const reply of to.receive(message)) next.push({ to: back, message: reply });
    }
    if (convergedHop === undefined && converged()) convergedHop = hops;
    inFlight = next;
  }
  if (convergedHop === undefined) throw new Error('the protocol went quiet before the replicas converged');
  return { bytes, messages, roundTrips: convergedHop / 2, ms: performance.now() - started };
}
