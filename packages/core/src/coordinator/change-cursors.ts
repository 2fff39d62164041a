import type { HeldMapEntry } from '../crdt/lww-map.js';

/**
 * The entries among `held` whose key changed after cursor `since`, in change order (each key
 * holds one entry, so each key shows once, at its latest cursor). A scan of the whole map:
 * resuming a watch is rare, and paying for it there keeps every write free of a change log.
 */
export function changedSince(held: Iterable<HeldMapEntry>, since: number): HeldMapEntry[] {
  const found: HeldMapEntry[] = [];
  for (const entry of held) if (entry.cursor > since) found.push(entry);
  return found.sort((a, b) => a.cursor - b.cursor);
}
