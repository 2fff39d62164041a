import { ErrorCode, isShoalError, type SharedMap, type SharedStream } from '@shoal/core';

/**
 * The soak's writes: every tick a key and a stream entry no one else writes (`name/n`,
 * `name#n`), each acknowledged through `ack` once durable, so the soak can check that every
 * acknowledged write reaches every replica (an overwrite would hide a lost one). A stream entry
 * is acknowledged with its seq in this node's stream: where a forged entry holds that seq on a
 * replica, the soak can tell the entry is there but lost a conflict, not lost. A write the
 * store refuses (its disk is full, or it failed to write) goes to `refuse`: not acknowledged,
 * and the node goes on, as an app would; any other failure rejects the tick.
 */
export class SoakWriter {
  readonly #name: string;
  readonly #map: SharedMap;
  readonly #stream: SharedStream;
  readonly #ack: (key: string, seq?: number) => void;
  readonly #refuse: (key: string) => void;
  /** Seqs of this node's entries appended and not yet acknowledged, by payload. */
  readonly #seqs = new Map<string, number>();
  #next = 0;

  constructor(
    name: string,
    map: SharedMap,
    stream: SharedStream,
    ack: (key: string, seq?: number) => void,
    refuse: (key: string) => void,
  ) {
    this.#name = name;
    this.#map = map;
    this.#stream = stream;
    this.#ack = ack;
    this.#refuse = refuse;
    // A local append is visible, with its seq, before append() returns.
    stream.on('entry', ({ entry, local }) => {
      if (local) this.#seqs.set(new TextDecoder().decode(entry.payload), entry.seq);
    });
  }

  async tick(): Promise<void> {
    // A restarted process starts counting again: the time keeps its keys apart from the last run's.
    const n = `${Date.now().toString(36)}-${this.#next++}`;
    const key = `${this.#name}/${n}`;
    const entry = `${this.#name}#${n}`;
    await Promise.all([
      this.#settle(this.#map.set(key, n), key),
      this.#settle(this.#stream.append(new TextEncoder().encode(entry)), `stream:${entry}`, entry),
    ]);
  }

  async #settle(write: Promise<unknown>, key: string, entry?: string): Promise<void> {
    try {
      await write;
      const seq = entry === undefined ? undefined : this.#seqs.get(entry);
      this.#ack(key, seq);
    } catch (error) {
      // A full disk is STORAGE_FULL; LMDB's short write on a disk that was full a moment ago
      // (freed by the time it was classified) is STORAGE. Either way the store refused it.
      if (!isShoalError(error, ErrorCode.StorageFull) && !isShoalError(error, ErrorCode.Storage)) throw error;
      this.#refuse(key);
    } finally {
      if (entry !== undefined) this.#seqs.delete(entry);
    }
  }
}
