/** Values at most this long share slabs; longer ones get an array of their own. */
const MAX_SHARED = 1024;
const SLAB_BYTES = 64 * 1024;

/**
 * Private copies of byte strings for a store that keeps them, with small ones packed into
 * shared 64 KiB slabs: such a copy is a view into a slab, not an array with its own backing
 * storage, which the engine allocates and collects several times faster (and a store holds
 * one per record).
 *
 * Guarantees: a copy never changes (slabs are only appended to) and shares no bytes with the
 * value copied. Bytes of dropped copies stay in their slab; {@link SlabCopies.wasteful} turns
 * true once they outweigh the live ones by a slab, and the owner then re-copies its live
 * values after {@link SlabCopies.reset}, so memory stays within about twice the live bytes at
 * an amortized constant cost per byte written.
 */
export class SlabCopies {
  #slab = new Uint8Array(0);
  #used = 0;
  /** Bytes of shared copies not dropped. */
  #live = 0;
  /** Bytes written into slabs since the last reset. */
  #written = 0;

  /** A private copy of `value`. */
  copy(value: Uint8Array): Uint8Array {
    const length = value.length;
    if (length > MAX_SHARED) return value.slice();
    if (this.#used + length > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#used = 0;
    }
    const copy = this.#slab.subarray(this.#used, this.#used + length);
    copy.set(value);
    this.#used += length;
    this.#live += length;
    this.#written += length;
    return copy;
  }

  /** Tells that a copy made here is no longer kept. */
  drop(copy: Uint8Array): void {
    if (copy.length <= MAX_SHARED) this.#live -= copy.length;
  }

  /** True when the slabs hold more dead bytes than live ones (plus a slab). */
  get wasteful(): boolean {
    return this.#written > 2 * this.#live + SLAB_BYTES;
  }

  /** Forgets every copy: the owner copies each value it keeps again. */
  reset(): void {
    this.#slab = new Uint8Array(0);
    this.#used = 0;
    this.#live = 0;
    this.#written = 0;
  }
}
