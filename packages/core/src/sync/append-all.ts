/**
 * Appends every item of `source` to `target`, in order. Not `target.push(...source)`: a spread
 * passes each item as an argument, and past about 120k items the engine's stack overflows
 * (`RangeError`), which made a replica unable to plan a delta for a writer of more entries, so
 * a newcomer to a 200k-key map never converged.
 */
export function appendAll<T>(target: T[], source: readonly T[]): void {
  for (let i = 0; i < source.length; i++) target.push(source[i] as T);
}
