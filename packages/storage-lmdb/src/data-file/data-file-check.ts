import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  hasMagic,
  META_BYTES,
  META_PAGES,
  type Meta,
  metaPageSize,
  P_META,
  PAGE_HEADER_BYTES,
  pageHeader,
  readMeta,
} from './lmdb-layout.js';
import { type EntryCheck, type TreeProblem, walkSnapshot } from './tree-walk.js';

/**
 * What {@link inspectDataFile} found: no file, a zero-length file, an LMDB file with its
 * candidate snapshots, or a file LMDB must not be given (`foreign`: not LMDB at all;
 * `truncated`: shorter than its own meta pages).
 */
export type DataFileState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'lmdb'; readonly fileBytes: number; readonly snapshots: readonly Meta[] }
  | { readonly kind: 'unusable'; readonly reason: 'foreign' | 'truncated'; readonly message: string };

/**
 * Reads the meta pages of `file` (an LMDB `data.mdb`) with plain reads, never throwing for any
 * content. LMDB trusts its file: a foreign or garbled one crashes the process inside the native
 * addon, so this runs before the engine sees the file. Both meta pages must be well formed
 * (LMDB refuses the file otherwise); the snapshots are every meta record LMDB may pick.
 */
export function inspectDataFile(file: string): DataFileState {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'unusable', reason: 'foreign', message: `cannot be read (${(error as Error).message})` };
  }
  try {
    const fileBytes = fstatSync(fd).size;
    if (fileBytes === 0) return { kind: 'empty' };
    const head = Buffer.alloc(PAGE_HEADER_BYTES + META_BYTES);
    if (readSync(fd, head, 0, head.length, 0) < head.length) {
      return { kind: 'unusable', reason: 'truncated', message: `is truncated to ${fileBytes} bytes` };
    }
    const firstProblem = metaPageProblem(head);
    if (firstProblem !== undefined)
      return { kind: 'unusable', reason: 'foreign', message: `page 0 ${firstProblem}` };
    const pageSize = metaPageSize(head, PAGE_HEADER_BYTES);
    if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0) {
      return { kind: 'unusable', reason: 'foreign', message: `has an impossible page size ${pageSize}` };
    }
    if (fileBytes < META_PAGES * pageSize) {
      return { kind: 'unusable', reason: 'truncated', message: `is truncated to ${fileBytes} bytes` };
    }
    const pages = Buffer.alloc(META_PAGES * pageSize);
    readSync(fd, pages, 0, pages.length, 0);
    const secondProblem = metaPageProblem(pages.subarray(pageSize));
    if (secondProblem !== undefined) {
      return { kind: 'unusable', reason: 'foreign', message: `page 1 ${secondProblem}` };
    }
    const snapshots = [
      readMeta(pages, PAGE_HEADER_BYTES, pageSize),
      readMeta(pages, pageSize + PAGE_HEADER_BYTES, pageSize),
    ];
    // lmdb-js's "flushed" record (overlapping sync): no magic, zero until first written.
    const flushed = readMeta(pages, (pageSize >> 1) + PAGE_HEADER_BYTES, pageSize);
    if (flushed.txnId > 0) snapshots.push(flushed);
    return { kind: 'lmdb', fileBytes, snapshots };
  } finally {
    closeSync(fd);
  }
}

/**
 * Walks the snapshot with transaction id `txnId` (the one LMDB picked) page by page, see
 * {@link walkSnapshot}, giving a fresh `entryCheck()` to each candidate. Returns why it cannot be read safely, or undefined when every page
 * checks out. Run it before LMDB reads any page: LMDB maps the file and faults on a page past
 * its end (SIGBUS) or follows garbled pointers (SIGSEGV, SIGABRT, or silently missing keys).
 */
export function verifySnapshot(
  file: string,
  state: Extract<DataFileState, { kind: 'lmdb' }>,
  txnId: number,
  entryCheck: () => EntryCheck,
): TreeProblem | undefined {
  const candidates = state.snapshots.filter((meta) => meta.txnId === txnId);
  if (candidates.length === 0) {
    return { reason: 'damaged', message: `no meta page records transaction ${txnId}, which LMDB chose` };
  }
  const fd = openSync(file, 'r');
  try {
    let problem: TreeProblem | undefined;
    for (const meta of candidates) {
      problem = walkSnapshot(fd, state.fileBytes, meta, entryCheck());
      if (problem === undefined) return undefined;
    }
    return problem;
  } finally {
    closeSync(fd);
  }
}

function metaPageProblem(page: Buffer): string | undefined {
  if (page.length < PAGE_HEADER_BYTES + META_BYTES) return 'is truncated';
  if ((pageHeader.flags(page) & P_META) === 0) return 'is not an LMDB meta page';
  if (!hasMagic(page, PAGE_HEADER_BYTES)) return 'lacks the LMDB magic number';
  return undefined;
}
