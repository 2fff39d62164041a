/** Most keys an object gets its exact size for; larger ones start as `{}`. */
const SIZED_KEYS = 8;

/**
 * One constructor per key count, each making plain objects (prototype `Object.prototype`,
 * like `{}`). The engine sizes an object made by a constructor to what that constructor's
 * objects were given (slack tracking), while `{}` always gets room for four properties: a
 * two-key value then takes 40 bytes instead of 56. Counting keys per constructor keeps every
 * object it makes the same size, whatever values came first.
 */
const constructors: Array<new () => Record<string, unknown>> = [];
for (let keys = 0; keys <= SIZED_KEYS; keys++) {
  const Plain = function Plain() {} as unknown as new () => Record<string, unknown>;
  Plain.prototype = Object.prototype;
  constructors.push(Plain);
}

/**
 * An empty plain object (indistinguishable from `{}`) that will be given `keys` properties:
 * held values take less memory when built through it. Assign `__proto__` by definition, as on
 * `{}`.
 */
export function plainObject<T>(keys: number): Record<string, T> {
  const Plain = constructors[keys];
  return (Plain === undefined ? {} : new Plain()) as Record<string, T>;
}
