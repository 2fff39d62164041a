import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

// LMDB's on-disk constants (lmdb/dependencies/lmdb/libraries/liblmdb/mdb.c, 64-bit layout). A
// data file starts with two meta pages; each has a 16-byte page header (pgno, pad, flags)
// followed by MDB_meta (magic, version, address, mapsize, two MDB_db records, last page,
// transaction id), and the free-DB record's md_pad stores the page size.
const MDB_MAGIC = 0xbeefc0de;
const P_META = 0x08;
const FLAGS_OFFSET = 0x12;
const MAGIC_OFFSET = 0x18;
const PAGE_SIZE_OFFSET = 0x30;
const LAST_PAGE_OFFSET = 0x90;
const TXN_ID_OFFSET = 0x98;
const HEADER_BYTES = 0xa0;

/** Outcome of {@link checkDataFile}: `fresh` (no data yet), `lmdb`, or why it is not LMDB. */
export type DataFileCheck =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'lmdb' }
  | { readonly kind: 'foreign'; readonly reason: string };

/**
 * Checks that `file` (an LMDB `data.mdb`) is absent, empty, or starts with two well-formed
 * LMDB meta pages. LMDB trusts its file and a foreign or garbled one crashes the process with
 * a segmentation fault inside the native addon, so this runs before the engine sees the file.
 * It reads two small headers and never throws for any file content. It cannot see damage
 * deeper in the B+tree (LMDB has no page checksums): a file garbled in the middle may still
 * crash LMDB when the damaged page is read.
 */
export function checkDataFile(file: string): DataFileCheck {
  let descriptor: number;
  try {
    descriptor = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'fresh' };
    return { kind: 'foreign', reason: `cannot be read (${(error as Error).message})` };
  }
  try {
    const first = readAt(descriptor, 0);
    if (first.length === 0) return { kind: 'fresh' };
    const pageProblem = metaPageProblem(first);
    if (pageProblem !== undefined) return { kind: 'foreign', reason: `page 0 ${pageProblem}` };
    const pageSize = first.readUInt32LE(PAGE_SIZE_OFFSET);
    if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0) {
      return { kind: 'foreign', reason: `has an impossible page size ${pageSize}` };
    }
    const second = readAt(descriptor, pageSize);
    const secondProblem = metaPageProblem(second);
    if (secondProblem !== undefined) return { kind: 'foreign', reason: `page 1 ${secondProblem}` };
    // LMDB uses the meta page with the greater transaction id; every page it references must
    // lie inside the file, or reading it would fault (SIGBUS) instead of failing.
    const current =
      first.readBigUInt64LE(TXN_ID_OFFSET) >= second.readBigUInt64LE(TXN_ID_OFFSET) ? first : second;
    const needed = (current.readBigUInt64LE(LAST_PAGE_OFFSET) + 1n) * BigInt(pageSize);
    const size = BigInt(fstatSync(descriptor).size);
    // LMDB may record a last page a little beyond the file's end in a healthy store (pages
    // counted as allocated but not yet written, which it handles itself), so only a file far
    // shorter than its meta page says is refused: that one would fault when read.
    if (size * 2n < needed) return { kind: 'foreign', reason: `is truncated (${size} of ${needed} bytes)` };
    return { kind: 'lmdb' };
  } finally {
    closeSync(descriptor);
  }
}

function readAt(descriptor: number, position: number): Buffer {
  const buffer = Buffer.alloc(HEADER_BYTES);
  const read = readSync(descriptor, buffer, 0, HEADER_BYTES, position);
  return buffer.subarray(0, read);
}

function metaPageProblem(header: Buffer): string | undefined {
  if (header.length < HEADER_BYTES) return 'is truncated';
  if ((header.readUInt16LE(FLAGS_OFFSET) & P_META) === 0) return 'is not an LMDB meta page';
  if (header.readUInt32LE(MAGIC_OFFSET) !== MDB_MAGIC) return 'lacks the LMDB magic number';
  return undefined;
}
