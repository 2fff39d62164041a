/**
 * The items of one trie leaf in parallel typed arrays (position, four digest lanes, key), so
 * a million items cost a few dozen bytes each beyond their key strings. Order is arbitrary:
 * removal swaps the last item in.
 */
export class LeafItems {
  #size = 0;
  #positions: Float64Array;
  #digests: Uint32Array;
  readonly #keys: string[] = [];

  constructor(capacity = 4) {
    this.#positions = new Float64Array(capacity);
    this.#digests = new Uint32Array(capacity * 4);
  }

  get size(): number {
    return this.#size;
  }

  positionAt(index: number): number {
    return this.#positions[index]!;
  }

  keyAt(index: number): string {
    return this.#keys[index]!;
  }

  /** A view of item `index`'s digest lanes; valid until the leaf changes. */
  digestAt(index: number): Uint32Array {
    return this.#digests.subarray(index * 4, index * 4 + 4);
  }

  /** Index of the item with this position and key, or -1. */
  indexOf(position: number, key: string): number {
    for (let i = 0; i < this.#size; i++) {
      if (this.#positions[i] === position && this.#keys[i] === key) return i;
    }
    return -1;
  }

  push(position: number, key: string, digest: Uint32Array): void {
    if (this.#size === this.#positions.length) this.#grow();
    this.#positions[this.#size] = position;
    this.#digests.set(digest, this.#size * 4);
    this.#keys[this.#size] = key;
    this.#size++;
  }

  replaceDigest(index: number, digest: Uint32Array): void {
    this.#digests.set(digest, index * 4);
  }

  /** Removes item `index` by moving the last item into its slot. */
  removeAt(index: number): void {
    const last = this.#size - 1;
    if (index !== last) {
      this.#positions[index] = this.#positions[last]!;
      this.#digests.copyWithin(index * 4, last * 4, last * 4 + 4);
      this.#keys[index] = this.#keys[last]!;
    }
    this.#keys.pop();
    this.#size = last;
  }

  #grow(): void {
    const positions = new Float64Array(this.#positions.length * 2);
    positions.set(this.#positions);
    const digests = new Uint32Array(this.#digests.length * 2);
    digests.set(this.#digests);
    this.#positions = positions;
    this.#digests = digests;
  }
}
