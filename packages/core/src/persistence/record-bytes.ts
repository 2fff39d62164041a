import { ByteArena } from '../wire/byte-arena.js';

/** Shared by every node of the process: the arrays only live until the store copied them. */
const arena = new ByteArena();

/**
 * A fresh zero-filled array for one storage key or record on its way to the store (which
 * copies what it keeps, as every {@link KeyValueStore} must): carved from a shared slab, as
 * persistence makes two per write. Never hand one to an application.
 */
export function recordBytes(length: number): Uint8Array {
  return arena.take(length);
}
