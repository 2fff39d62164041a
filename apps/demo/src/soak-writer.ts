import { ErrorCode, isShoalError, type SharedMap, type SharedStream } from '@shoal/core';

/**
 * The soak's writes: every tick a key and a stream entry no one else writes (`name/n`,
 * `name#n`), each acknowledged through `ack` once durable, so the soak can check that every
 * acknowledged write reaches every replica (an overwrite would hide a lost one). A write the
 * store refuses (its disk is full, or it failed to write) goes to `refuse`: not acknowledged,
 * and the node goes on, as an app would; any other failure rejects the tick.
 */
export class SoakWriter {
  readonly #name: string;
  readonly #map: SharedMap;
  readonly #stream: SharedStream;
  readonly #ack: (key: string) => void;
  readonly #refuse: (key: string) => void;
  #next = 0;

  constructor(
    name: string,
    map: SharedMap,
    stream: SharedStream,
    ack: (key: string) => void,
    refuse: (key: string) => void,
  ) {
    this.#name = name;
    this.#map = map;
    this.#stream = stream;
    this.#ack = ack;
    this.#refuse = refuse;
  }

  async tick(): Promise<void> {
    // A restarted process starts counting again: the time keeps its keys apart from the last run's.
    const n = `${Date.now().toString(36)}-${this.#next++}`;
    const key = `${this.#name}/${n}`;
    const entry = `${this.#name}#${n}`;
    await Promise.all([
      this.#settle(this.#map.set(key, n), key),
      this.#settle(this.#stream.append(new TextEncoder().encode(entry)), `stream:${entry}`),
    ]);
  }

  async #settle(write: Promise<unknown>, key: string): Promise<void> {
    try {
      await write;
      this.#ack(key);
    } catch (error) {
      // A full disk is STORAGE_FULL; LMDB's short write on a disk that was full a moment ago
      // (freed by the time it was classified) is STORAGE. Either way the store refused it.
      if (!isShoalError(error, ErrorCode.StorageFull) && !isShoalError(error, ErrorCode.Storage)) throw error;
      this.#refuse(key);
    }
  }
}
