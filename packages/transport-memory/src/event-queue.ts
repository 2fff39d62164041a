/** Anything the queue can order: by `time`, then by `seq` (scheduling order). */
export interface Scheduled {
  readonly time: number;
  readonly seq: number;
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * A binary min-heap keyed by (time, seq): the one virtual event queue. Because `seq` is
 * unique and increasing, events at the same time come out in the order they were pushed, so
 * the pop order is a pure function of the pushes.
 */
export class EventQueue<T extends Scheduled> {
  readonly #heap: T[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(item: T): void {
    const heap = this.#heap;
    heap.push(item);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >>> 1;
      const parentItem = heap[parent] as T;
      if (!before(item, parentItem)) break;
      heap[index] = parentItem;
      index = parent;
    }
    heap[index] = item;
  }

  peek(): T | undefined {
    return this.#heap[0];
  }

  pop(): T | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let index = 0;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && before(heap[right] as T, heap[left] as T)) child = right;
      const childItem = heap[child] as T;
      if (!before(childItem, last)) break;
      heap[index] = childItem;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}
