/**
 * Outcome of decoding untrusted bytes. Decoders return it instead of throwing, so a bad
 * datagram costs one branch and a counter, never an exception on the receive path.
 */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/** A successful {@link DecodeResult}. */
export function decoded<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

/** A failed {@link DecodeResult}; `reason` is for logs and tests, never parsed. */
export function rejected<T>(reason: string): DecodeResult<T> {
  return { ok: false, reason };
}
