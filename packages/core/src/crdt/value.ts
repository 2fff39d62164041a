/**
 * What a map holds: JSON-compatible data plus raw bytes. Objects are plain data: a key such
 * as `__proto__` is an ordinary key, never a prototype.
 */
export type Value = null | boolean | number | string | Uint8Array | readonly Value[] | ValueObject;

/** A JSON-like object inside a {@link Value}. */
export interface ValueObject {
  readonly [key: string]: Value;
}
