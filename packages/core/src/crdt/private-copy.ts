import { plainObject } from './plain-object.js';
import type { Value, ValueObject } from './value.js';

/**
 * A private copy of a value that the codec already accepted: what decoding its encoding would
 * give (`-0` becomes `0`, binary becomes a fresh plain `Uint8Array`, every object key an own
 * data property, `__proto__` included, in `Object.keys` order), without the decoding.
 * Primitives are returned as they are. Only call it on a value `encodeValue` accepted.
 *
 * Not frozen: a replica freezes a value when it first hands it out ({@link handOut}), since
 * `Object.freeze` cost about a tenth of a write and most written values are never read back.
 */
export function privateCopy(value: Value): Value {
  if (typeof value !== 'object' || value === null) return Object.is(value, -0) ? 0 : value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) {
    const items = value as readonly Value[];
    const copy: Value[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) copy[i] = privateCopy(items[i] as Value);
    return copy;
  }
  const source = value as ValueObject;
  const keys = Object.keys(source);
  const copy = plainObject<Value>(keys.length);
  for (const key of keys) {
    const item = privateCopy(source[key] as Value);
    // `copy[key] = …` would set the prototype for `__proto__`; a definition never does.
    if (key === '__proto__')
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}
