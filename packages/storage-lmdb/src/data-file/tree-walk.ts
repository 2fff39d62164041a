import { readSync } from 'node:fs';
import {
  F_BIGDATA,
  META_PAGES,
  type Meta,
  NODE_HEADER_BYTES,
  P_ADMIN,
  P_BRANCH,
  P_LEAF,
  P_OVERFLOW,
  PAGE_HEADER_BYTES,
  pageHeader,
  type TreeRecord,
} from './lmdb-layout.js';

/** Why a snapshot cannot be used: pages cut off by truncation, or pages that are not what they should be. */
export interface TreeProblem {
  readonly reason: 'truncated' | 'damaged' | 'checksum';
  readonly message: string;
}

/** Called for each entry of the main tree in key order; returns a problem to stop the walk. */
export type EntryCheck = (key: Buffer, value: Buffer) => TreeProblem | undefined;

/** What a walk needs: the open file, its size, and the snapshot's meta record. */
interface Walk {
  readonly fd: number;
  readonly fileBytes: number;
  readonly meta: Meta;
  /** Pages already reached, so a page linked twice (or a cycle) is caught. */
  readonly seen: Uint8Array;
  /** One page buffer per tree level: a page's keys stay valid while its children are read. */
  readonly buffers: Buffer[];
  /** Pages read ahead: a run of the file, from page `windowStart`, `windowPages` long. */
  readonly window: Buffer;
  windowStart: number;
  windowPages: number;
}

/**
 * Pages read at once. A store written in order lays its leaves out mostly in order, so one read
 * of a run serves the pages the walk visits next: a page a read cost about 12 µs, half of
 * opening a 1M-entry store. A store whose pages are scattered pays a 64 KiB copy per page
 * instead of a 4 KiB one.
 */
const READ_AHEAD_PAGES = 64;

interface Counts {
  branch: number;
  leaf: number;
  overflow: number;
  entries: number;
}

type Compare = (a: Buffer, b: Buffer) => number;

/** The free-page tree's keys are 8-byte transaction ids in native (little-endian) order. */
const integerKeys: Compare = (a, b) => {
  if (a.length !== 8 || b.length !== 8) return Buffer.compare(a, b);
  const x = a.readBigUInt64LE(0);
  const y = b.readBigUInt64LE(0);
  return x < y ? -1 : x > y ? 1 : 0;
};

const damaged = (message: string): TreeProblem => ({ reason: 'damaged', message });

/**
 * Checks every page of the snapshot `meta` describes, reading the file with plain `pread`s
 * (never the memory map, so a missing or garbled page is a finding, not a SIGBUS or SIGSEGV):
 * both trees (free-page and main) are walked from their roots; each page must lie inside the
 * file, carry its own number and the expected kind (branch above the recorded depth, leaf at
 * it), have sane free-space bounds and nodes inside the page, hold keys in strictly increasing
 * order within the bounds its parent gives, and be reached once only; overflow runs must fit.
 * The page and entry counts found must equal the ones the meta records, which catches subtrees
 * cut off by damage. `onEntry` sees every main-tree entry (for value checksums).
 *
 * Free-page lists (LMDB reads them on the first write, trusting their length and page
 * numbers) must hold a count that fits their size, and page numbers (or lmdb-js's negative
 * run lengths) within the file's pages. Costs one read per page: O(file size).
 */
export function walkSnapshot(
  fd: number,
  fileBytes: number,
  meta: Meta,
  onEntry: EntryCheck,
): TreeProblem | undefined {
  const walk: Walk = {
    fd,
    fileBytes,
    meta,
    seen: new Uint8Array(meta.lastPage + 1),
    buffers: [],
    window: Buffer.alloc(READ_AHEAD_PAGES * meta.pageSize),
    windowStart: 0,
    windowPages: 0,
  };
  return (
    walkTree(walk, 'free-page', meta.free, integerKeys, (key, value) =>
      freeListProblem(key, value, meta.lastPage),
    ) ?? walkTree(walk, 'main', meta.main, Buffer.compare, onEntry)
  );
}

function walkTree(
  walk: Walk,
  name: string,
  tree: TreeRecord,
  compare: Compare,
  onEntry: EntryCheck,
): TreeProblem | undefined {
  const counts: Counts = { branch: 0, leaf: 0, overflow: 0, entries: 0 };
  if (tree.root !== undefined) {
    const problem = visit(walk, tree, compare, onEntry, counts, tree.root, 1, undefined, undefined);
    if (problem !== undefined) return { ...problem, message: `${name} tree: ${problem.message}` };
  }
  const expected = [tree.branchPages, tree.leafPages, tree.overflowPages, tree.entries];
  const found = [counts.branch, counts.leaf, counts.overflow, counts.entries];
  if (expected.some((count, index) => count !== found[index])) {
    return damaged(
      `${name} tree: the meta page records ${expected.join('/')} branch/leaf/overflow pages/entries, ` +
        `the pages hold ${found.join('/')} (part of the tree is lost)`,
    );
  }
  return undefined;
}

function visit(
  walk: Walk,
  tree: TreeRecord,
  compare: Compare,
  onEntry: EntryCheck,
  counts: Counts,
  pgno: number,
  level: number,
  low: Buffer | undefined,
  high: Buffer | undefined,
): TreeProblem | undefined {
  const { pageSize } = walk.meta;
  const where = `page ${pgno}`;
  const range = claimPages(walk, pgno, 1);
  if (range !== undefined) return range;
  if (level > tree.depth) return damaged(`${where} lies deeper than the recorded depth ${tree.depth}`);
  walk.buffers[level] ??= Buffer.alloc(pageSize);
  const page = walk.buffers[level];
  readPage(walk, pgno, page);
  if (pageHeader.pgno(page) !== pgno) return damaged(`${where} says it is page ${pageHeader.pgno(page)}`);
  const branch = level < tree.depth;
  const flags = pageHeader.flags(page) & ~P_ADMIN;
  if (flags !== (branch ? P_BRANCH : P_LEAF)) {
    return damaged(
      `${where} has flags 0x${flags.toString(16)}, expected a ${branch ? 'branch' : 'leaf'} page`,
    );
  }
  const lower = pageHeader.lower(page);
  const upper = pageHeader.upper(page);
  const keys = lower >> 1;
  if (lower % 2 !== 0 || keys === 0 || lower > upper || PAGE_HEADER_BYTES + upper > pageSize) {
    return damaged(`${where} has impossible bounds (lower ${lower}, upper ${upper})`);
  }
  if (branch) counts.branch++;
  else counts.leaf++;
  let previous: Buffer | undefined;
  for (let index = 0; index < keys; index++) {
    const pointer = page.readUInt16LE(PAGE_HEADER_BYTES + 2 * index);
    const node = PAGE_HEADER_BYTES + pointer;
    if (pointer < upper || pointer % 2 !== 0 || node + NODE_HEADER_BYTES > pageSize) {
      return damaged(`${where} node ${index} starts outside the page`);
    }
    const keyStart = node + NODE_HEADER_BYTES;
    const keyEnd = keyStart + page.readUInt16LE(node + 6);
    if (keyEnd > pageSize) return damaged(`${where} node ${index} key runs past the page`);
    const key = page.subarray(keyStart, keyEnd);
    // A branch page's first key is never compared (LMDB leaves it empty): its subtree starts at `low`.
    const ordered = branch && index === 0 ? undefined : key;
    if (ordered !== undefined) {
      if (previous !== undefined && compare(previous, ordered) >= 0) {
        return damaged(`${where} keys are out of order at node ${index}`);
      }
      if (
        (low !== undefined && compare(ordered, low) < 0) ||
        (high !== undefined && compare(ordered, high) >= 0)
      ) {
        return damaged(`${where} node ${index} key lies outside its parent's range`);
      }
      previous = ordered;
    }
    const lo = page.readUInt16LE(node);
    const hi = page.readUInt16LE(node + 2);
    const nodeFlags = page.readUInt16LE(node + 4);
    if (branch) {
      const child = lo + hi * 0x1_0000 + nodeFlags * 0x1_0000_0000;
      const childHigh = index + 1 < keys ? nextKey(page, index + 1) : high;
      const problem = visit(
        walk,
        tree,
        compare,
        onEntry,
        counts,
        child,
        level + 1,
        ordered ?? low,
        childHigh,
      );
      if (problem !== undefined) return problem;
      continue;
    }
    if ((nodeFlags & ~F_BIGDATA) !== 0) {
      return damaged(`${where} node ${index} has flags 0x${nodeFlags.toString(16)} this store never writes`);
    }
    const dataBytes = lo + hi * 0x1_0000;
    counts.entries++;
    const value =
      (nodeFlags & F_BIGDATA) === 0
        ? inlineValue(page, keyEnd, dataBytes)
        : overflowValue(walk, counts, page, keyEnd, dataBytes);
    if ('reason' in value) return { ...value, message: `${where} node ${index}: ${value.message}` };
    const problem = onEntry(key, value);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The key of node `index` of a page, as a view into it. */
/** Copies page `pgno` into `page`, through the read-ahead window (zeros past the file's end). */
function readPage(walk: Walk, pgno: number, page: Buffer): void {
  const { pageSize } = walk.meta;
  if (pgno < walk.windowStart || pgno >= walk.windowStart + walk.windowPages) {
    const read = readSync(walk.fd, walk.window, 0, walk.window.length, pgno * pageSize);
    walk.windowStart = pgno;
    walk.windowPages = Math.floor(read / pageSize);
    if (walk.windowPages === 0) {
      page.fill(0);
      return;
    }
  }
  const at = (pgno - walk.windowStart) * pageSize;
  walk.window.copy(page, 0, at, at + pageSize);
}

function nextKey(page: Buffer, index: number): Buffer | undefined {
  const node = PAGE_HEADER_BYTES + page.readUInt16LE(PAGE_HEADER_BYTES + 2 * index);
  if (node + NODE_HEADER_BYTES > page.length) return undefined; // reported when the node is reached
  const start = node + NODE_HEADER_BYTES;
  return page.subarray(start, Math.min(page.length, start + page.readUInt16LE(node + 6)));
}

function inlineValue(page: Buffer, start: number, bytes: number): Buffer | TreeProblem {
  if (start + bytes > page.length) return damaged('its value runs past the page');
  return page.subarray(start, start + bytes);
}

function overflowValue(
  walk: Walk,
  counts: Counts,
  page: Buffer,
  start: number,
  bytes: number,
): Buffer | TreeProblem {
  const { pageSize } = walk.meta;
  if (start + 8 > page.length) return damaged('its overflow page number runs past the page');
  const first = Number(page.readBigUInt64LE(start));
  const header = Buffer.alloc(PAGE_HEADER_BYTES);
  const claimed = claimPages(walk, first, 1);
  if (claimed !== undefined) return claimed;
  readSync(walk.fd, header, 0, PAGE_HEADER_BYTES, first * pageSize);
  const pages = pageHeader.overflowPages(header);
  if (pageHeader.pgno(header) !== first || (pageHeader.flags(header) & P_OVERFLOW) === 0) {
    return damaged(`overflow page ${first} is not an overflow page`);
  }
  if (pages === 0 || pages * pageSize - PAGE_HEADER_BYTES < bytes) {
    return damaged(`overflow run at page ${first} (${pages} pages) cannot hold ${bytes} bytes`);
  }
  const rest = claimPages(walk, first + 1, pages - 1);
  if (rest !== undefined) return rest;
  counts.overflow += pages;
  const value = Buffer.alloc(bytes);
  readSync(walk.fd, value, 0, bytes, first * pageSize + PAGE_HEADER_BYTES);
  return value;
}

/** Marks pages `[first, first + count)` as reached, if they exist, lie in the file and are new. */
function claimPages(walk: Walk, first: number, count: number): TreeProblem | undefined {
  const { pageSize, lastPage } = walk.meta;
  const last = first + count - 1;
  if (count === 0) return undefined;
  if (first < META_PAGES || last > lastPage) {
    return damaged(
      `page ${first}${count > 1 ? `-${last}` : ''} lies outside pages ${META_PAGES}-${lastPage}`,
    );
  }
  if ((last + 1) * pageSize > walk.fileBytes) {
    return {
      reason: 'truncated',
      message: `page ${last} lies beyond the end of the file (${walk.fileBytes} bytes, ${Math.floor(walk.fileBytes / pageSize)} pages)`,
    };
  }
  for (let pgno = first; pgno <= last; pgno++) {
    if (walk.seen[pgno] === 1) return damaged(`page ${pgno} is linked twice`);
    walk.seen[pgno] = 1;
  }
  return undefined;
}

/**
 * Checks one free-page record as LMDB reads it: 8-byte words, the first a count `n`, then `n`
 * entries (words past them, which lmdb-js sometimes leaves, are never read). Each entry is a
 * page LMDB may reuse (at most lastPage), 0 for a used slot, or, in lmdb-js's LMDB, a negative
 * run length no longer than the file.
 */
function freeListProblem(key: Buffer, value: Buffer, lastPage: number): TreeProblem | undefined {
  const where = `free-page list of transaction ${key.length === 8 ? key.readBigUInt64LE(0) : '?'}`;
  if (value.length % 8 !== 0 || value.length === 0) return damaged(`${where} is ${value.length} bytes long`);
  const count = value.readBigUInt64LE(0);
  if (count > BigInt(value.length / 8 - 1))
    return damaged(`${where} counts ${count} pages in ${value.length} bytes`);
  for (let at = 8; at <= Number(count) * 8; at += 8) {
    const entry = value.readBigInt64LE(at);
    // Only the upper bound: lmdb-js leaves 0 in used slots of a list, and random damage is a
    // 64-bit value, far beyond any real page number almost always.
    if (entry > BigInt(lastPage) || -entry > BigInt(lastPage + 1)) {
      return damaged(`${where} lists page ${entry}, beyond the last page ${lastPage}`);
    }
  }
  return undefined;
}
