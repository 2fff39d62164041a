import type { SharedMap, SharedStream } from '@shoal/core';

/**
 * The soak's writes: every tick a key and a stream entry no one else writes (`name/n`,
 * `name#n`), each acknowledged through `ack` once durable, so the soak can check that every
 * acknowledged write reaches every replica (an overwrite would hide a lost one).
 */
export class SoakWriter {
  readonly #name: string;
  readonly #map: SharedMap;
  readonly #stream: SharedStream;
  readonly #ack: (key: string) => void;
  #next = 0;

  constructor(name: string, map: SharedMap, stream: SharedStream, ack: (key: string) => void) {
    this.#name = name;
    this.#map = map;
    this.#stream = stream;
    this.#ack = ack;
  }

  async tick(): Promise<void> {
    // A restarted process starts counting again: the time keeps its keys apart from the last run's.
    const n = `${Date.now().toString(36)}-${this.#next++}`;
    const key = `${this.#name}/${n}`;
    const entry = `${this.#name}#${n}`;
    await Promise.all([
      this.#map.set(key, n).then(() => this.#ack(key)),
      this.#stream.append(new TextEncoder().encode(entry)).then(() => this.#ack(`stream:${entry}`)),
    ]);
  }
}
