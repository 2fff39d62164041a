import { type NodeId, type RandomPort, randomInt } from '@shoal/core';

/**
 * The ids bound on a hub, with O(1) add, remove and random pick, so introducing a newcomer to
 * a few peers costs the same with ten clients or ten thousand.
 */
export class IdPool {
  readonly #ids: NodeId[] = [];
  readonly #index = new Map<NodeId, number>();

  get size(): number {
    return this.#ids.length;
  }

  add(id: NodeId): void {
    if (this.#index.has(id)) return;
    this.#index.set(id, this.#ids.length);
    this.#ids.push(id);
  }

  delete(id: NodeId): void {
    const index = this.#index.get(id);
    if (index === undefined) return;
    const last = this.#ids.pop() as NodeId;
    this.#index.delete(id);
    if (last !== id) {
      this.#ids[index] = last;
      this.#index.set(last, index);
    }
  }

  /** Up to `count` distinct ids other than `except`, chosen at random (a few draws, no scan). */
  pick(random: RandomPort, count: number, except: NodeId): NodeId[] {
    const picked = new Set<NodeId>();
    const want = Math.min(count, this.#ids.length - (this.#index.has(except) ? 1 : 0));
    for (let tries = 0; picked.size < want && tries < 4 * count + 8; tries++) {
      const id = this.#ids[randomInt(random, this.#ids.length)] as NodeId;
      if (id !== except) picked.add(id);
    }
    return [...picked];
  }

  values(): readonly NodeId[] {
    return this.#ids;
  }
}
