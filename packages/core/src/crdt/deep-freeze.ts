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

/**
 * A value a replica holds, made safe to hand to the application: deeply frozen the first time
 * (later calls only check that the top is frozen, which is cheap). Every value a replica holds
 * is its own private copy (written, decoded or loaded), frozen here rather than when made.
 * A frozen top means the whole value is frozen: nothing else freezes a held value.
 */
export function handOut<T extends Value | undefined>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  return deepFreeze(value as Value) as T;
}
