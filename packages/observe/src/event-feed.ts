import type { Coordinator, NodeEvent } from '@shoal/core';

const TRANSITIONS = new Set(['joined', 'suspect', 'alive', 'dead', 'left']);
const CONTACT = new Set(['peer-up', 'joined', 'alive']);

/** One line of the dashboard's feed: a membership or peer event, a key rotation, an error. */
export interface FeedItem {
  /** Wall-clock time it was seen, ms since the epoch. */
  readonly at: number;
  readonly type: string;
  readonly peer?: string;
  readonly incarnation?: number;
  readonly message?: string;
}

/**
 * The most recent {@link FeedItem}s of a node (at most `size`), and when each peer was last
 * heard of through an event. Subscribes on construction; {@link close} unsubscribes.
 */
export class EventFeed {
  readonly #items: FeedItem[] = [];
  readonly #size: number;
  readonly #listeners = new Set<(item: FeedItem) => void>();
  readonly #lastHeard = new Map<string, number>();
  readonly #transitions = new Map<string, number>();
  readonly #unsubscribe: (() => void)[];

  constructor(node: Coordinator, size = 200) {
    this.#size = size;
    this.#unsubscribe = [
      node.events.subscribe((event: NodeEvent) => {
        if (event.type === 'state') return;
        const item: FeedItem =
          event.type === 'open-mode'
            ? { at: Date.now(), type: 'warning', message: event.message }
            : event.type === 'key-rotation'
              ? { at: Date.now(), type: 'key-rotation', message: `key ${event.keyId} ${event.change}` }
              : {
                  at: Date.now(),
                  type: event.type,
                  peer: event.peer,
                  ...('incarnation' in event ? { incarnation: event.incarnation } : {}),
                };
        // Only signs of life count as contact: a peer declared dead was not heard from.
        if (item.peer !== undefined && CONTACT.has(event.type))
          this.#lastHeard.set(item.peer, performance.now());
        if (TRANSITIONS.has(event.type))
          this.#transitions.set(event.type, (this.#transitions.get(event.type) ?? 0) + 1);
        this.#add(item);
      }),
      node.errors.subscribe((error) => {
        this.#add({ at: Date.now(), type: 'error', message: `${error.code}: ${error.message}` });
      }),
    ];
  }

  /** The items, oldest first. */
  items(): readonly FeedItem[] {
    return [...this.#items];
  }

  /** Membership transitions seen since start, by the state entered. */
  transitions(): Array<[{ to: string }, number]> {
    return [...this.#transitions].map(([to, n]) => [{ to }, n]);
  }

  /** Ms since an event last showed `peer` alive (up, joined, alive), or undefined. */
  heardAgo(peer: string): number | undefined {
    const at = this.#lastHeard.get(peer);
    return at === undefined ? undefined : performance.now() - at;
  }

  /** Calls `listener` with each new item; returns an unsubscribe function. */
  onItem(listener: (item: FeedItem) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#listeners.clear();
  }

  #add(item: FeedItem): void {
    this.#items.push(item);
    if (this.#items.length > this.#size) this.#items.shift();
    for (const listener of this.#listeners) listener(item);
  }
}
