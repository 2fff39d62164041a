/**
 * An invertible Bloom lookup table of six cells over items (Eppstein et al. 2011, "What's the
 * Difference?"; Goodrich & Mitzenmacher 2011): the fast path ahead of range reconciliation.
 * Subtracting the peer's sketch from mine cancels every shared item; when the rest is a few
 * items (one changed key is two), peeling lists them and one round trip settles the sync.
 * Otherwise decoding fails and the session falls back to splitting ranges (Meyer 2022 §3.3).
 *
 * An element is (the key position's top 40 bits, the item id = digest lane 0). Each lands in
 * one cell of each of {@link SKETCH_PARTITIONS} partitions of {@link SKETCH_WIDTH} cells.
 * A cell is five 32-bit words: count, position high 8 bits, position low 32 bits, id, check.
 */
export const SKETCH_PARTITIONS = 2;

/** Cells per partition. Two differing items decode unless they share both cells (1 in 9). */
export const SKETCH_WIDTH = 3;

/** Cells in a sketch. */
export const SKETCH_CELLS = SKETCH_PARTITIONS * SKETCH_WIDTH;

/** 32-bit words per cell. */
export const SKETCH_WORDS = 5;
const WORDS = SKETCH_WORDS;

/** Seed of the purity check word; cell choices use seeds 1 and 2. */
const CHECK_SEED = 0x9e3779b9;

/** Bits of the key position an element keeps: enough to find the item in its range. */
export const ELEMENT_POSITION_BITS = 40;

/** One decoded difference: an item is found by its position prefix and id. */
export interface SketchElement {
  /** The key position's top {@link ELEMENT_POSITION_BITS} bits. */
  readonly position: number;
  /** Lane 0 of the item digest. */
  readonly id: number;
}

/** What a sketch difference decoded to: `plus` only in the minuend, `minus` only in the subtrahend. */
export interface SketchDifference {
  readonly plus: SketchElement[];
  readonly minus: SketchElement[];
}

/** An empty sketch's words. */
export function emptySketch(): Uint32Array {
  return new Uint32Array(SKETCH_CELLS * WORDS);
}

/** Adds (`sign` 1) or removes (-1) the element of an item at 52-bit `position` with `id`. */
export function toggleItem(cells: Uint32Array, position: number, id: number, sign: 1 | -1): void {
  toggle(cells, Math.floor(position / 2 ** (52 - ELEMENT_POSITION_BITS)), id, sign);
}

/**
 * Decodes `theirs - mine` by peeling pure cells (cell counts are compared mod 256). Returns undefined unless every cell empties
 * (then the difference is complete up to a 2^-32 check per peeled cell).
 */
export function decodeDifference(theirs: Uint32Array, mine: Uint32Array): SketchDifference | undefined {
  const cells = new Uint32Array(theirs.length);
  // Counts travel mod 256 (one byte); a cell that can be peeled differs by far less than 128.
  for (let i = 0; i < cells.length; i++)
    cells[i] = i % WORDS === 0 ? (((theirs[i]! - mine[i]!) << 24) >> 24) >>> 0 : theirs[i]! ^ mine[i]!;
  const out: SketchDifference = { plus: [], minus: [] };
  // Each peel removes one element from every cell it occupies, so this loop is bounded.
  for (let round = 0; round < 4 * SKETCH_CELLS; round++) {
    const pure = findPure(cells);
    if (pure === undefined) break;
    const count = cells[pure * WORDS]! | 0;
    const high = cells[pure * WORDS + 1]!;
    const low = cells[pure * WORDS + 2]!;
    const id = cells[pure * WORDS + 3]!;
    const position = high * 2 ** 32 + low;
    (count === 1 ? out.plus : out.minus).push({ position, id });
    toggle(cells, position, id, count === 1 ? -1 : 1);
  }
  return cells.every((word) => word === 0) ? out : undefined;
}

function findPure(cells: Uint32Array): number | undefined {
  for (let cell = 0; cell < SKETCH_CELLS; cell++) {
    const count = cells[cell * WORDS]! | 0;
    if (count !== 1 && count !== -1) continue;
    const high = cells[cell * WORDS + 1]!;
    const low = cells[cell * WORDS + 2]!;
    const id = cells[cell * WORDS + 3]!;
    if (high >= 2 ** (ELEMENT_POSITION_BITS - 32)) continue;
    if (cells[cell * WORDS + 4] !== mix(high, low, id, CHECK_SEED)) continue;
    if (cellOf(high, low, id, Math.floor(cell / SKETCH_WIDTH)) !== cell) continue;
    return cell;
  }
  return undefined;
}

function toggle(cells: Uint32Array, position: number, id: number, sign: 1 | -1): void {
  const high = Math.floor(position / 2 ** 32);
  const low = position >>> 0;
  const check = mix(high, low, id, CHECK_SEED);
  for (let partition = 0; partition < SKETCH_PARTITIONS; partition++) {
    const base = cellOf(high, low, id, partition) * WORDS;
    cells[base] = (cells[base]! + sign) >>> 0;
    cells[base + 1] = cells[base + 1]! ^ high;
    cells[base + 2] = cells[base + 2]! ^ low;
    cells[base + 3] = cells[base + 3]! ^ id;
    cells[base + 4] = cells[base + 4]! ^ check;
  }
}

function cellOf(high: number, low: number, id: number, partition: number): number {
  return partition * SKETCH_WIDTH + (mix(high, low, id, partition + 1) % SKETCH_WIDTH);
}

/** A 32-bit mix of an element (MurmurHash3's finalizer, applied per word). */
function mix(high: number, low: number, id: number, seed: number): number {
  let h = seed >>> 0;
  for (const word of [high, low, id]) {
    h = Math.imul(h ^ word, 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
