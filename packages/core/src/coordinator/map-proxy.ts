import type { Value } from '../crdt/value.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';

/** A map as a plain-looking object: `view.key` reads, `view.key = value` writes. See {@link mapProxy}. */
export type MapProxy<T extends Value = Value> = { [key: string]: T | undefined };

/** What {@link mapProxy} needs of a map: its synchronous reads and its writes. */
export interface ProxiedMap<T extends Value> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  keys(): IterableIterator<string>;
  set(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * A dict-style view of `map`, for code that wants a map to look like an object (as the
 * systems Shoal replaces offered): reading a property reads the key, assigning writes it
 * (`undefined` deletes it), `delete view.key` deletes, `in`, `Object.keys`, spreading and
 * `JSON.stringify` see the keys with values. Writes return nothing to await: a write that
 * fails (a bad value, a limit, a full disk) is reported to `report` (the node's `errors`)
 * and changes nothing, as the same call on the map would reject. Values read are the map's
 * frozen values: change one by assigning a new value. Symbols name no key.
 */
export function mapProxy<T extends Value>(
  map: ProxiedMap<T>,
  report: (error: ShoalError) => void,
): MapProxy<T> {
  const write = (key: string | symbol, value: unknown): boolean => {
    if (typeof key !== 'string') {
      report(new ShoalError(ErrorCode.InvalidArgument, 'a map key is a string, not a symbol'));
      return true;
    }
    const written = value === undefined ? map.delete(key) : map.set(key, value as T);
    // The map's writes reject only with ShoalErrors (their contract).
    written.catch((error: unknown) => report(error as ShoalError));
    // Always true: a failed write is reported, never thrown at the assignment.
    return true;
  };
  return new Proxy(Object.create(null) as MapProxy<T>, {
    get: (_target, key) => (typeof key === 'string' ? map.get(key) : undefined),
    set: (_target, key, value) => write(key, value),
    deleteProperty: (_target, key) => write(key, undefined),
    defineProperty: (_target, key, descriptor) => write(key, descriptor.value),
    has: (_target, key) => typeof key === 'string' && map.has(key),
    ownKeys: () => [...map.keys()],
    getOwnPropertyDescriptor: (_target, key) =>
      typeof key === 'string' && map.has(key)
        ? { value: map.get(key), writable: true, enumerable: true, configurable: true }
        : undefined,
  });
}
