/**
 * The MessagePack (https://github.com/msgpack/msgpack/blob/master/spec.md) format bytes the
 * value codec reads and writes. These numbers are the wire format: they never change.
 * Extension types (0xc7-0xc9, 0xd4-0xd8) and the unused byte 0xc1 are deliberately absent:
 * a {@link Value} has none, so the decoder refuses them.
 */
export const Tag = {
  /** 0x00-0x7f: the integer itself. */
  PositiveFixintMax: 0x7f,
  /** 0x80-0x8f: a map of (byte & 0x0f) entries. */
  FixmapMin: 0x80,
  FixmapMax: 0x8f,
  /** 0x90-0x9f: an array of (byte & 0x0f) elements. */
  FixarrayMin: 0x90,
  FixarrayMax: 0x9f,
  /** 0xa0-0xbf: a string of (byte & 0x1f) UTF-8 bytes. */
  FixstrMin: 0xa0,
  FixstrMax: 0xbf,
  Nil: 0xc0,
  False: 0xc2,
  True: 0xc3,
  Bin8: 0xc4,
  Bin16: 0xc5,
  Bin32: 0xc6,
  Float32: 0xca,
  Float64: 0xcb,
  Uint8: 0xcc,
  Uint16: 0xcd,
  Uint32: 0xce,
  Uint64: 0xcf,
  Int8: 0xd0,
  Int16: 0xd1,
  Int32: 0xd2,
  Int64: 0xd3,
  Str8: 0xd9,
  Str16: 0xda,
  Str32: 0xdb,
  Array16: 0xdc,
  Array32: 0xdd,
  Map16: 0xde,
  Map32: 0xdf,
  /** 0xe0-0xff: the negative integer (byte - 0x100), -32 to -1. */
  NegativeFixintMin: 0xe0,
} as const;
