import type { Value } from './value.js';

/**
 * Freezes a value and everything inside it, so the copy a replica holds cannot be changed by
 * whoever reads it. `Uint8Array`s cannot be frozen; readers get the stored bytes and must not
 * write to them (the map hands out the same instance to every reader).
 */
export function deepFreeze<T extends Value>(value: T): T {
  if (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Uint8Array) &&
    !Object.isFrozen(value)
  ) {
    for (const item of Object.values(value)) deepFreeze(item as Value);
    Object.freeze(value);
  }
  return value;
}
