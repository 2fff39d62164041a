/**
 * Compares value codecs on Shoal's data: msgpackr and cbor-x (both with their record /
 * structure extensions off, see adr/0003-value-codec.md) against Shoal's own encodeValue /
 * decodeValue. Prints encode and decode throughput (values per second) and encoded size.
 *
 *   pnpm exec tsx packages/core/bench/codec-comparison.ts
 *
 * Numbers vary by machine and run; compare rows of one run, not runs.
 */
import { Encoder } from 'cbor-x';
import { Packr } from 'msgpackr';
import { decodeValue } from '../src/codec/decode-value.js';
import { encodeValue } from '../src/codec/encode-value.js';
import type { Value } from '../src/crdt/value.js';

interface Codec {
  readonly name: string;
  encode(value: Value): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

// Records/structures off: both libraries otherwise define a structure once and refer to it by
// id in later messages, which a peer receiving one datagram alone cannot decode.
const packr = new Packr({ useRecords: false });
const cbor = new Encoder({ useRecords: false, pack: false });
// The only msgpackr mode that keeps a `__proto__` key (objects mode renames it `__proto_`):
// what a pre-scan-then-msgpackr decoder would call, before converting Maps back to objects.
const packrMaps = new Packr({ useRecords: false, mapsAsObjects: false });

const codecs: readonly Codec[] = [
  { name: 'msgpackr', encode: (value) => packr.pack(value), decode: (bytes) => packr.unpack(bytes) },
  {
    name: 'msgpackr, maps as Map',
    encode: (value) => packr.pack(value),
    decode: (bytes) => packrMaps.unpack(bytes),
  },
  { name: 'cbor-x', encode: (value) => cbor.encode(value), decode: (bytes) => cbor.decode(bytes) },
  {
    name: 'shoal',
    encode: (value) => encodeValue(value),
    decode: (bytes) => {
      const result = decodeValue(bytes);
      if (!result.ok) throw new Error(result.error);
      return result.value;
    },
  },
];

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

function nested(i: number): Value {
  return {
    id: `device-${i}`,
    name: 'Living room thermostat',
    online: i % 3 !== 0,
    firmware: { version: '2.4.1', build: 20_240_611 + i, channel: 'stable' },
    tags: ['heating', 'ground-floor', `zone-${i % 7}`],
    schedule: range(6).map((slot) => ({ from: slot * 240, to: slot * 240 + 180, target: 19.5 + slot / 2 })),
    readings: range(8).map((n) => ({ t: 1_700_000_000_000 + n * 60_000, c: 20.25 + n / 8, h: 41 + n })),
    owner: null,
  };
}

function bytes(i: number): Uint8Array {
  return Uint8Array.from(range(1024), (n) => (n * 31 + i) & 0xff);
}

const datasets: readonly { name: string; values: readonly Value[] }[] = [
  { name: 'map value {v, s}', values: range(1000).map((i) => ({ v: i, s: `value-${i}` })) },
  { name: 'small string', values: range(1000).map((i) => `value-${i}`) },
  {
    name: 'number',
    values: range(1000).map((i) => [i, -i * 1000, i * 1.5 + 0.25, 2 ** 33 + i][i % 4] as number),
  },
  { name: 'nested JSON', values: range(100).map(nested) },
  { name: '1 KiB Uint8Array', values: range(100).map(bytes) },
];

/** Values per second of one timed pass of at least `ms` over `values`. */
function throughput<T>(values: readonly T[], run: (value: T) => unknown, ms = 80): number {
  let passes = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (const value of values) run(value);
    passes++;
    elapsed = performance.now() - start;
  }
  return (passes * values.length * 1000) / elapsed;
}

const ROUNDS = 7;
const format = (opsPerSecond: number) => `${(opsPerSecond / 1e6).toFixed(2)} M/s`;

console.log(`Node ${process.version}, ${process.arch}; best of ${ROUNDS} interleaved rounds`);
console.log('| data | codec | encode | decode | bytes/value |');
console.log('|---|---|---:|---:|---:|');
for (const { name, values } of datasets) {
  const rows = codecs.map((codec) => {
    const encoded = values.map((value) => Uint8Array.from(codec.encode(value)));
    const size = encoded.reduce((sum, bytes) => sum + bytes.length, 0) / values.length;
    return { codec, encoded, size, encode: 0, decode: 0 };
  });
  // Rounds alternate between codecs and keep each one's best, so a burst of load from other
  // processes on a shared machine skews no codec more than another.
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of rows) {
      row.encode = Math.max(row.encode, throughput(values, row.codec.encode));
      row.decode = Math.max(row.decode, throughput(row.encoded, row.codec.decode));
    }
  }
  for (const { codec, size, encode, decode } of rows) {
    console.log(`| ${name} | ${codec.name} | ${format(encode)} | ${format(decode)} | ${size.toFixed(1)} |`);
  }
}
