import { ByteArena, MAX_CARVED_BYTES, SLAB_BYTES } from '../wire/byte-arena.js';

/**
 * Private copies of byte strings for a store that keeps them, with small ones packed into
 * shared slabs by a {@link ByteArena}: a store holds one per record, and a view into a slab
 * costs the engine far less than an array with its own backing storage.
 *
 * Guarantees: a copy never changes (slabs are only appended to) and shares no bytes with the
 * value copied. Bytes of dropped copies stay in their slab; {@link SlabCopies.wasteful} turns
 * true once they outweigh the live ones by a slab, and the owner then re-copies its live
 * values after {@link SlabCopies.reset}, so memory stays within about twice the live bytes at
 * an amortized constant cost per byte written.
 */
export class SlabCopies {
  #arena = new ByteArena();
  /** Bytes of shared copies not dropped. */
  #live = 0;
  /** Bytes written into slabs since the last reset. */
  #written = 0;

  /** A private copy of `value`. */
  copy(value: Uint8Array): Uint8Array {
    const length = value.length;
    if (length > MAX_CARVED_BYTES) return value.slice();
    const copy = this.#arena.take(length);
    copy.set(value);
    this.#live += length;
    this.#written += length;
    return copy;
  }

  /** Tells that a copy made here is no longer kept. */
  drop(copy: Uint8Array): void {
    if (copy.length <= MAX_CARVED_BYTES) this.#live -= copy.length;
  }

  /** True when the slabs hold more dead bytes than live ones (plus a slab). */
  get wasteful(): boolean {
    return this.#written > 2 * this.#live + SLAB_BYTES;
  }

  /** Forgets every copy: the owner copies each value it keeps again. */
  reset(): void {
    this.#arena = new ByteArena();
    this.#live = 0;
    this.#written = 0;
  }
}
