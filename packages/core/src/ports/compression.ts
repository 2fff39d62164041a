import { deflateSync, inflateSync } from 'fflate';

/**
 * Raw DEFLATE (RFC 1951) for message bodies, as a port: every implementation produces streams
 * any other can inflate, so nodes using different ones interoperate.
 */
export interface Compression {
  /** `bytes` deflated (level 5-6 or equivalent: message bodies are small, speed counts). */
  deflate(bytes: Uint8Array): Uint8Array;
  /**
   * `bytes` inflated, when they inflate to exactly `length` bytes; else undefined (corrupt
   * data, or a stream that would grow past `length`: no decompression bombs). Never throws.
   */
  inflate(bytes: Uint8Array, length: number): Uint8Array | undefined;
}

/**
 * {@link Compression} by `fflate` (pure JS, every platform): core's default. `@shoal/node`
 * passes one backed by Node's zlib, about twice as fast.
 */
export const fflateCompression: Compression = {
  deflate: (bytes) => deflateSync(bytes, { level: 6 }),
  inflate(bytes, length) {
    // One spare byte: fflate stops silently when `out` is full (and hands back `out` whole for
    // empty input), so a stream that is longer than stated, or no stream at all, fills the
    // spare byte and is refused; a shorter stream comes back shorter and is refused too.
    const out = new Uint8Array(length + 1);
    try {
      const inflated = inflateSync(bytes, { out });
      return inflated.length === length && inflated.buffer === out.buffer ? inflated : undefined;
    } catch {
      return undefined;
    }
  },
};
