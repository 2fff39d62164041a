/**
 * LMDB's on-disk layout as lmdb-js 3.x builds it (LMDB 1.0 "master3", 64-bit:
 * lmdb/dependencies/lmdb/libraries/liblmdb/mdb.c). Every page starts with a 24-byte header
 * (page number, txn id, pad, flags, then lower/upper free-space bounds or an overflow page
 * count). Pages 0 and 1 are meta pages; lmdb-js also keeps a third, "flushed" meta record in
 * the second half of page 0 (overlapping sync) without a magic number.
 */

export const PAGE_HEADER_BYTES = 24;
/** Bytes of a node header: data size or child page (lo, hi), flags, key size. */
export const NODE_HEADER_BYTES = 8;
export const META_PAGES = 2;
export const MDB_MAGIC = 0xbeefc0de;
/** `md_root` of an empty tree. */
export const NO_PAGE = 0xffff_ffff_ffff_ffffn;

export const P_BRANCH = 0x01;
export const P_LEAF = 0x02;
export const P_OVERFLOW = 0x04;
export const P_META = 0x08;
/** Page flags LMDB may leave set on a page that is otherwise a plain branch or leaf. */
export const P_ADMIN = 0x2000 | 0x4000 | 0x8000;
/** Node flag: the value lives on overflow pages; the node holds their first page number. */
export const F_BIGDATA = 0x01;

const PGNO_OFFSET = 0;
const FLAGS_OFFSET = 18;
const LOWER_OFFSET = 20;
const UPPER_OFFSET = 22;
const OVERFLOW_PAGES_OFFSET = 20;

/** A tree's record in a meta page (`MDB_db`). */
export interface TreeRecord {
  readonly depth: number;
  readonly branchPages: number;
  readonly leafPages: number;
  readonly overflowPages: number;
  readonly entries: number;
  /** Root page, or undefined for an empty tree. */
  readonly root: number | undefined;
}

/** One meta record (`MDB_meta`): where a committed snapshot's trees start. */
export interface Meta {
  /** Byte offset of the record in the file, for messages. */
  readonly offset: number;
  readonly pageSize: number;
  readonly txnId: number;
  readonly lastPage: number;
  readonly free: TreeRecord;
  readonly main: TreeRecord;
}

// Offsets inside MDB_meta (which starts right after a page header).
const META_MAGIC = 0;
const META_DBS = 24;
const DB_BYTES = 48;
const META_LAST_PAGE = META_DBS + 2 * DB_BYTES;
const META_TXN_ID = META_LAST_PAGE + 8;
/** Bytes of MDB_meta that matter here. */
export const META_BYTES = META_TXN_ID + 8;

/** Reads the MDB_meta at `offset` of `bytes`; `pageSize` comes from the caller. */
export function readMeta(bytes: Buffer, offset: number, pageSize: number): Meta {
  const u64 = (at: number) => Number(bytes.readBigUInt64LE(offset + at));
  const tree = (at: number): TreeRecord => {
    const root = bytes.readBigUInt64LE(offset + at + 40);
    return {
      depth: bytes.readUInt16LE(offset + at + 6),
      branchPages: u64(at + 8),
      leafPages: u64(at + 16),
      overflowPages: u64(at + 24),
      entries: u64(at + 32),
      root: root === NO_PAGE ? undefined : Number(root),
    };
  };
  return {
    offset,
    pageSize,
    txnId: u64(META_TXN_ID),
    lastPage: u64(META_LAST_PAGE),
    free: tree(META_DBS),
    main: tree(META_DBS + DB_BYTES),
  };
}

/** True when `bytes` at `offset` starts an MDB_meta (magic number present). */
export function hasMagic(bytes: Buffer, offset: number): boolean {
  return bytes.readUInt32LE(offset + META_MAGIC) === MDB_MAGIC;
}

/** The page size recorded in the meta at `offset` (the free tree's `md_pad`). */
export function metaPageSize(bytes: Buffer, offset: number): number {
  return bytes.readUInt32LE(offset + META_DBS);
}

/** Header fields of the page held in `page`. */
export const pageHeader = {
  pgno: (page: Buffer) => Number(page.readBigUInt64LE(PGNO_OFFSET)),
  flags: (page: Buffer) => page.readUInt16LE(FLAGS_OFFSET),
  lower: (page: Buffer) => page.readUInt16LE(LOWER_OFFSET),
  upper: (page: Buffer) => page.readUInt16LE(UPPER_OFFSET),
  overflowPages: (page: Buffer) => page.readUInt32LE(OVERFLOW_PAGES_OFFSET),
};
