import type { SharedMap, SharedStream } from '@shoal/core';

const SENSORS = ['temperature', 'humidity', 'light'] as const;
const encoder = new TextEncoder();

/**
 * The demo workload of one node: on each tick it publishes the next of its sensor readings
 * under `<name>/<sensor>`, and on every fourth tick it appends a chat line. Ticks count on from
 * what the map already holds, so a restarted node continues its sequence instead of restarting it.
 */
export class DemoWriter {
  readonly #name: string;
  readonly #map: SharedMap;
  readonly #stream: SharedStream;
  #tick: number;

  constructor(name: string, map: SharedMap, stream: SharedStream) {
    this.#name = name;
    this.#map = map;
    this.#stream = stream;
    const last = map.get(`${name}/tick`);
    this.#tick = typeof last === 'number' ? last : 0;
  }

  /** Writes one tick; resolves when its writes are durable. */
  async tick(): Promise<void> {
    this.#tick++;
    const sensor = SENSORS[this.#tick % SENSORS.length] as string;
    const reading = Math.round((20 + 5 * Math.sin(this.#tick / 7) + Math.random()) * 10) / 10;
    const writes = [
      this.#map.set(`${this.#name}/${sensor}`, reading),
      this.#map.set(`${this.#name}/tick`, this.#tick),
    ];
    if (this.#tick % 4 === 0) {
      writes.push(this.#stream.append(encoder.encode(`${this.#name}: reading #${this.#tick} is ${reading}`)));
    }
    await Promise.all(writes);
  }
}
