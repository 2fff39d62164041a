/** A place announcements go to: the multicast group, a broadcast address or a bootstrap peer. */
export interface AnnounceTarget {
  readonly host: string;
  readonly port: number;
}

/** What an {@link Announcer} needs from its owner. */
export interface AnnouncerOptions {
  /** Mean time between the first announcements, in milliseconds. */
  readonly intervalMs: number;
  /** The interval grows by half after each announcement up to this; default 10 × intervalMs. */
  readonly maxIntervalMs?: number;
  /** Where each announcement goes. */
  readonly targets: readonly AnnounceTarget[];
  /** Sends one announcement to one target. Must not throw. */
  readonly send: (bytes: Uint8Array, target: AnnounceTarget) => void;
  /** Uniform [0, 1) for jitter. */
  readonly random: () => number;
}

/**
 * Repeats an opaque announcement (core's sealed hello) to every target. The first goes out
 * as soon as there is something to announce, then again after `intervalMs`, each wait half as
 * long again as the last up to `maxIntervalMs`, jittered uniformly by ±25 % so nodes started
 * together (after a power cut) do not announce in lockstep. A newly heard peer ({@link reset})
 * brings the interval back down: a quiet LAN costs a few announcements a minute, a changing one
 * is discovered at once.
 */
export class Announcer {
  readonly #options: AnnouncerOptions;
  #bytes: Uint8Array | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #interval: number;

  constructor(options: AnnouncerOptions) {
    this.#options = options;
    this.#interval = options.intervalMs;
  }

  /** Back to the shortest interval (something changed on the network). */
  reset(): void {
    this.#interval = this.#options.intervalMs;
  }

  /** Starts the periodic announcements (announcing at once if bytes are set). */
  start(): void {
    this.#running = true;
    this.#announce();
  }

  /**
   * Replaces the announcement (`undefined` stops announcing) and sends the new one at once.
   * Keeps `bytes` by reference: the caller hands over a buffer it no longer mutates.
   */
  set(bytes: Uint8Array | undefined): void {
    this.#bytes = bytes;
    if (this.#running) this.#announce();
  }

  /** Stops announcing for good. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #announce(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const bytes = this.#bytes;
    if (!this.#running || bytes === undefined) return;
    for (const target of this.#options.targets) this.#options.send(bytes, target);
    const jitter = 0.75 + this.#options.random() * 0.5;
    this.#timer = setTimeout(() => this.#announce(), this.#interval * jitter);
    const max = this.#options.maxIntervalMs ?? 10 * this.#options.intervalMs;
    this.#interval = Math.min(max, this.#interval * 1.5);
  }
}
