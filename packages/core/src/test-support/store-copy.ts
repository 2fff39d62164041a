import type { KeyValueStore } from '../ports/key-value-store.js';
import { MemoryStore } from '../storage/memory-store.js';

/** A copy of everything `store` holds, as `cp -r` of a data dir or a restored backup makes one. */
export async function copyOf(store: KeyValueStore): Promise<MemoryStore> {
  const copy = new MemoryStore();
  for await (const [key, value] of store.scan(new Uint8Array())) await copy.put(key, value);
  return copy;
}
