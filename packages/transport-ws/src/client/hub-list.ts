import type { RandomPort } from '@shoal/core';
import { MAX_HUB_URLS } from '../wire/frame.js';

/**
 * The hubs a client may connect to: the configured ones shuffled once (so clients given the
 * same list spread over the hubs), then every hub a hub told it about, in the order learnt.
 * {@link HubList.next} walks it round-robin. At most {@link MAX_HUB_URLS} × 2 entries are kept.
 */
export class HubList {
  readonly #urls: string[];
  #next = 0;

  constructor(urls: readonly string[], random: RandomPort) {
    const unique = [...new Set(urls)];
    // Fisher-Yates.
    for (let i = unique.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [unique[i], unique[j]] = [unique[j] as string, unique[i] as string];
    }
    this.#urls = unique;
  }

  get size(): number {
    return this.#urls.length;
  }

  /** The hubs in try order. */
  get urls(): readonly string[] {
    return this.#urls;
  }

  /** The next hub to try. */
  next(): string {
    const url = this.#urls[this.#next % this.#urls.length] as string;
    this.#next = (this.#next + 1) % this.#urls.length;
    return url;
  }

  /** Removes `url` (a hub that turned out to be this very node). */
  remove(url: string): void {
    const index = this.#urls.indexOf(url);
    if (index < 0) return;
    this.#urls.splice(index, 1);
    if (this.#next > index) this.#next--;
    if (this.#next >= this.#urls.length) this.#next = 0;
  }

  /** Adds hubs not yet listed (learnt from a hub, so only `ws:`/`wss:` URLs, within the cap). */
  learn(urls: readonly string[]): void {
    for (const url of urls) {
      if (this.#urls.length >= 2 * MAX_HUB_URLS) return;
      if (!this.#urls.includes(url) && /^wss?:\/\//.test(url)) this.#urls.push(url);
    }
  }
}
