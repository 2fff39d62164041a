import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { cryptoRandom } from './crypto-random.js';
import type { MessageHandler, MessagePort, PeerHandler } from './message-port.js';
import type { RandomPort } from './random-port.js';
import type { TimerPort } from './timer-port.js';

/** The faults {@link withFaults} injects into what a port sends. All default to none. */
export interface NetworkFaults {
  /** Probability in [0, 1] that a message is dropped. */
  readonly loss?: number;
  /** Probability in [0, 1] that a message is sent twice (each copy delayed on its own). */
  readonly duplicate?: number;
  /** Milliseconds each copy waits before it is sent: a fixed delay, or drawn from [min, max]. */
  readonly delay?: number | { readonly min: number; readonly max: number };
  /**
   * Probability in [0, 1] that a copy is held back by one more `delay.max` (at least 1 ms), so
   * messages sent after it overtake it.
   */
  readonly reorder?: number;
}

/** What a {@link withFaults} port did to the messages sent through it. */
export interface FaultStats {
  readonly sent: number;
  readonly dropped: number;
  readonly duplicated: number;
  readonly delayed: number;
  readonly reordered: number;
}

/** Options of {@link withFaults}. */
export interface WithFaultsOptions extends NetworkFaults {
  /** Runs delays; required once a delay or reordering is asked for (now or by `setFaults`). */
  readonly timers?: TimerPort;
  /** The dice. Default {@link cryptoRandom}; a `SeededRandom` makes a run replayable. */
  readonly random?: RandomPort;
}

/** A port that injects faults into what it sends; the faults can change while it runs. */
export interface FaultyPort extends MessagePort {
  /** Replaces the faults from now on (`{}`: none). Messages already delayed keep their delay. */
  setFaults(faults: NetworkFaults): void;
  readonly stats: FaultStats;
}

/**
 * Wraps any {@link MessagePort} (UDP, WebSocket, your own) so that what it sends is lost,
 * duplicated, delayed or reordered, as a bad network would: to test an app, on real sockets,
 * under the conditions Shoal is built for. Faults apply to sending only; wrap the ports of both
 * ends to fault both directions. With no faults the wrapper is transparent: it passes the
 * MessagePort conformance suite. Sizes are checked at once (a message over `maxMessageSize`
 * throws `INVALID_ARGUMENT` as the port would), a delayed message is copied when sent, and
 * `close()` drops every message still waiting.
 *
 * @throws ShoalError `INVALID_ARGUMENT` for a probability outside [0, 1], a negative or
 *   inverted delay, or a delay or reordering without `timers`.
 */
export function withFaults(port: MessagePort, options: WithFaultsOptions = {}): FaultyPort {
  const random = options.random ?? cryptoRandom;
  const timers = options.timers;
  let faults = checkFaults(options, timers);
  const pending = new Set<() => void>();
  let closed = false;
  const stats = { sent: 0, dropped: 0, duplicated: 0, delayed: 0, reordered: 0 };

  const sendLater = (to: NodeId, bytes: Uint8Array): void => {
    const { min, max } = delayRange(faults.delay);
    let wait = min + random.next() * (max - min);
    if (faults.reorder !== undefined && random.next() < faults.reorder) {
      wait += Math.max(1, max);
      stats.reordered++;
    }
    if (wait <= 0) {
      port.send(to, bytes);
      return;
    }
    stats.delayed++;
    const copy = bytes.slice();
    // checkFaults made sure timers exist whenever a delay or reordering can be drawn.
    const cancel = (timers as TimerPort).setTimeout(() => {
      pending.delete(cancel);
      if (!closed) port.send(to, copy);
    }, wait);
    pending.add(cancel);
  };

  const faulty: FaultyPort = {
    get maxMessageSize() {
      return port.maxMessageSize;
    },
    get stats(): FaultStats {
      return { ...stats };
    },
    ...(port.addPeerAddress === undefined
      ? {}
      : { addPeerAddress: (peer: NodeId, address: Uint8Array) => port.addPeerAddress?.(peer, address) }),
    send(to: NodeId, bytes: Uint8Array): void {
      if (bytes.length > port.maxMessageSize) {
        throw new ShoalError(
          ErrorCode.InvalidArgument,
          `message of ${bytes.length} bytes exceeds maxMessageSize ${port.maxMessageSize}`,
        );
      }
      if (closed) return;
      stats.sent++;
      if (faults.loss !== undefined && random.next() < faults.loss) {
        stats.dropped++;
        return;
      }
      const copies = faults.duplicate !== undefined && random.next() < faults.duplicate ? 2 : 1;
      if (copies === 2) stats.duplicated++;
      for (let copy = 0; copy < copies; copy++) sendLater(to, bytes);
    },
    onMessage(handler: MessageHandler): () => void {
      return port.onMessage(handler);
    },
    onPeer(handler: PeerHandler): () => void {
      return port.onPeer(handler);
    },
    setFaults(next: NetworkFaults): void {
      faults = checkFaults(next, timers);
    },
    async close(): Promise<void> {
      closed = true;
      for (const cancel of pending) cancel();
      pending.clear();
      await port.close();
    },
  };
  // Read through, not copied: a transport may learn its address after it opened.
  if (port.localAddress !== undefined)
    Object.defineProperty(faulty, 'localAddress', { get: () => port.localAddress, enumerable: true });
  return faulty;
}

function delayRange(delay: NetworkFaults['delay']): { min: number; max: number } {
  if (delay === undefined) return { min: 0, max: 0 };
  return typeof delay === 'number' ? { min: delay, max: delay } : delay;
}

function checkFaults(faults: NetworkFaults, timers: TimerPort | undefined): NetworkFaults {
  for (const name of ['loss', 'duplicate', 'reorder'] as const) {
    const p = faults[name];
    if (p !== undefined && !(p >= 0 && p <= 1)) {
      throw new ShoalError(ErrorCode.InvalidArgument, `${name} must be a probability in [0, 1], got ${p}`);
    }
  }
  const { min, max } = delayRange(faults.delay);
  if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min)) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `delay must be a non-negative number of ms or { min, max } with min <= max, got ${JSON.stringify(faults.delay)}`,
    );
  }
  if ((max > 0 || (faults.reorder ?? 0) > 0) && timers === undefined) {
    throw new ShoalError(ErrorCode.InvalidArgument, 'a delay or reordering needs `timers` (a TimerPort)');
  }
  return { ...faults };
}
