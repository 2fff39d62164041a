import type { TokenBucket } from './token-bucket.js';

/** One datagram waiting to leave: its bytes and its destination. */
export interface Outbound {
  readonly data: Uint8Array;
  readonly host: string;
  readonly port: number;
}

/** What a {@link SendQueue} needs from its owner. */
export interface SendQueueOptions {
  /** Paces the queue; `undefined` sends everything at once. */
  readonly bucket: TokenBucket | undefined;
  /** Queued bytes above which new datagrams are dropped (newest dropped, oldest kept). */
  readonly maxQueuedBytes: number;
  /** Monotonic clock in milliseconds. */
  readonly now: () => number;
  /** Hands a datagram to the socket. Must not throw. */
  readonly write: (datagram: Outbound) => void;
}

/**
 * A FIFO of outbound datagrams drained through a token bucket. `push` writes at once while
 * the bucket has tokens and otherwise queues and schedules one timer for when it will, so a
 * burst of sends leaves at the configured rate instead of overflowing the receiver's socket
 * buffer. The queue is bounded in bytes; a datagram that does not fit is refused, never
 * buffered without limit. FIFO order holds: nothing overtakes a queued datagram.
 */
export class SendQueue {
  readonly #options: SendQueueOptions;
  #items: Outbound[] = [];
  #head = 0;
  #queuedBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SendQueueOptions) {
    this.#options = options;
  }

  /** Bytes waiting to be sent. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Datagrams waiting to be sent. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Enqueues `datagram` and drains what the bucket allows; false when the queue is full. */
  push(datagram: Outbound): boolean {
    if (this.length > 0 && this.#queuedBytes + datagram.data.length > this.#options.maxQueuedBytes)
      return false;
    this.#items.push(datagram);
    this.#queuedBytes += datagram.data.length;
    if (this.#timer === undefined) this.#drain();
    return true;
  }

  /** Drops everything queued and cancels the pending drain. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#items = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  #drain(): void {
    this.#timer = undefined;
    const { bucket, now, write } = this.#options;
    while (this.#head < this.#items.length) {
      const next = this.#items[this.#head]!;
      if (bucket !== undefined && !bucket.tryTake(next.data.length, now())) {
        // setTimeout's resolution is ~1 ms; waking at least that late lets tokens accumulate
        // for several datagrams per wake-up instead of spinning on fractions of one.
        const delay = Math.max(1, Math.ceil(bucket.delayFor(next.data.length, now())));
        this.#timer = setTimeout(() => this.#drain(), delay);
        break;
      }
      this.#head++;
      this.#queuedBytes -= next.data.length;
      write(next);
    }
    // Compact once the consumed prefix dominates, keeping push and drain amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
