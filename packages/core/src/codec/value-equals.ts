import type { Value, ValueObject } from '../crdt/value.js';
import { bytesEqual } from '../storage/bytes.js';

/**
 * Deep equality of two {@link Value}s, as their encodings see it: numbers by `===` (so `0`
 * equals `-0`, as both encode to `0`), `Uint8Array`s by bytes (a `Buffer` equals a
 * `Uint8Array` with the same bytes), arrays element by element, objects by their own
 * enumerable keys regardless of order. So `valueEquals(decode(encode(v)), v)` holds for every
 * value {@link encodeValue} accepts. Inputs must be acyclic.
 */
export function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b);
  }
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && arraysEqual(a, b);
  return objectsEqual(a as ValueObject, b as ValueObject);
}

function arraysEqual(a: readonly Value[], b: readonly Value[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!valueEquals(a[i] as Value, b[i] as Value)) return false;
  return true;
}

function objectsEqual(a: ValueObject, b: ValueObject): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key) || !valueEquals(a[key] as Value, b[key] as Value)) return false;
  }
  return true;
}
