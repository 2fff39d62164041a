import type { WriteQueue } from '../persistence/write-queue.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import type { TimerPort } from '../ports/timer-port.js';

/** A piece of in-memory state kept in one record. */
export interface SavedState {
  /** The record's key. */
  readonly key: Uint8Array;
  /** Changes whenever the state does: an unchanged version is not written again. */
  version(): number;
  /** The record's bytes. */
  encode(): Uint8Array;
  /**
   * Takes the state back from a saved record at create. Total on any bytes: a damaged record
   * is ignored (the node starts without that state, as on a first start).
   */
  restore(bytes: Uint8Array): void;
}

/**
 * Writes a piece of state to its record every `interval` ms while it changes, and once more at
 * stop, through the node's write queue (so it lands in the same batches as everything else).
 * A failed write needs no handler: the write queue reports it and carries it to the next batch.
 */
export class PeriodicSave implements StateKeeper {
  readonly #state: SavedState;
  readonly #writes: WriteQueue;
  readonly #timers: TimerPort;
  readonly #interval: number;
  #savedVersion: number | undefined;
  #cancel: (() => void) | undefined;

  constructor(state: SavedState, writes: WriteQueue, timers: TimerPort, interval: number) {
    this.#state = state;
    this.#writes = writes;
    this.#timers = timers;
    this.#interval = interval;
  }

  /** Reads the saved record back, if there is one (at create, before any traffic). */
  async restore(store: KeyValueStore): Promise<void> {
    const bytes = await store.get(this.#state.key);
    if (bytes !== undefined) this.#state.restore(bytes);
  }

  start(): void {
    this.#cancel?.();
    const tick = () => {
      this.#cancel = this.#timers.setTimeout(tick, this.#interval);
      this.save();
    };
    this.#cancel = this.#timers.setTimeout(tick, this.#interval);
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /** Queues the state for the next storage batch, if it changed since the last save. */
  save(): void {
    const version = this.#state.version();
    if (version === this.#savedVersion) return;
    this.#savedVersion = version;
    this.#writes.write({ type: 'put', key: this.#state.key, value: this.#state.encode() }).catch(() => {});
  }
}

/**
 * A piece of state kept across restarts: read back once at create (before any traffic), then
 * saved periodically while the node runs and once more at stop.
 */
export interface StateKeeper {
  restore(store: KeyValueStore): Promise<void>;
  start(): void;
  stop(): void;
  save(): void;
}
