import type { Value } from './value.js';

/**
 * A deterministic total order on values (`undefined`, i.e. a tombstone, first). Used only to
 * break a tie between two entries with an identical version, which an honest writer never
 * produces; it keeps merges commutative even then. Not meant to be meaningful, only stable.
 */
export function compareValuesForTieBreak(a: Value | undefined, b: Value | undefined): number {
  const left = canonical(a);
  const right = canonical(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

function canonical(value: Value | undefined): string {
  if (value === undefined) return '';
  if (value instanceof Uint8Array) return `b${Array.from(value).join(',')}`;
  if (Array.isArray(value)) return `a[${value.map((item) => canonical(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `o{${keys.map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, Value>)[key])}`).join(',')}}`;
  }
  return `v${JSON.stringify(value)}`;
}
