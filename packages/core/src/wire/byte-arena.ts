/** Bytes per slab: one allocation serves some thousand small arrays. */
const SLAB_BYTES = 64 * 1024;
/** Arrays longer than this get storage of their own: a slab would hold too few of them. */
const MAX_CARVED_BYTES = 1024;

/**
 * Hands out small zero-filled byte arrays carved from shared 64 KiB slabs. Such an array is a
 * view into a slab, not an array with its own backing storage, which the engine allocates and
 * collects several times faster: persistence makes two (key and record) per write.
 *
 * Guarantees: every array handed out is fresh (no other caller sees its bytes) and a slab is
 * never written again once carved, so an array stays valid as long as it is held. A held array
 * keeps its whole slab alive and its `buffer` is the slab: only hand them to code that copies
 * what it keeps (as every {@link KeyValueStore} must), never out of the library.
 */
export class ByteArena {
  #slab = new Uint8Array(0);
  #used = 0;

  /** A fresh zero-filled array of `length` bytes. */
  take(length: number): Uint8Array {
    if (length > MAX_CARVED_BYTES) return new Uint8Array(length);
    if (this.#used + length > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#used = 0;
    }
    const bytes = this.#slab.subarray(this.#used, this.#used + length);
    this.#used += length;
    return bytes;
  }
}
