import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../wire/byte-writer.js';
import { FINGERPRINT_BYTES } from './fingerprint.js';
import { MAX_DEPTH, type PrefixRange } from './prefix-range.js';
import { ReconcileIndex } from './reconcile-index.js';
import {
  decodeReconcileMessage,
  RECONCILE_PROTOCOL,
  type ReconcileRecord,
  writeRecord,
} from './reconcile-message.js';
import { Reconciler } from './reconciler.js';

const range: fc.Arbitrary<PrefixRange> = fc
  .integer({ min: 0, max: MAX_DEPTH })
  .chain((depth) =>
    fc.record({ depth: fc.constant(depth), prefix: fc.integer({ min: 0, max: 16 ** depth - 1 }) }),
  );

const summary = fc.oneof(
  fc.constant({ count: 0, sum: new Uint8Array(0) }),
  fc.record({
    count: fc.integer({ min: 1, max: 2 ** 40 }),
    sum: fc.uint8Array({ minLength: FINGERPRINT_BYTES, maxLength: FINGERPRINT_BYTES }),
  }),
);
const ids = fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 40 });

const record: fc.Arbitrary<ReconcileRecord> = fc.oneof(
  fc.record({ kind: fc.constant('fingerprint' as const), range, summary }),
  fc.record({
    kind: fc.constant('split' as const),
    range: range.filter((r) => r.depth < MAX_DEPTH),
    children: fc.array(summary, { minLength: 16, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant('items' as const), range, ids }),
  fc.record({ kind: fc.constant('want' as const), range, ids }),
  fc.record({
    kind: fc.constant('sketch' as const),
    range: fc.constant({ depth: 0, prefix: 0 }),
    summary,
    // On the wire a cell's count is mod 256 and its position high word is 8 bits.
    cells: fc
      .array(fc.nat({ max: 0xffffffff }), { minLength: 30, maxLength: 30 })
      .map((w) => Uint32Array.from(w, (word, i) => (i % 5 < 2 ? word & 0xff : word))),
  }),
  fc.record({
    kind: fc.constant('elements' as const),
    range,
    elements: fc.array(
      fc.record({ position: fc.integer({ min: 0, max: 2 ** 40 - 1 }), id: fc.nat({ max: 0xffffffff }) }),
      {
        maxLength: 8,
      },
    ),
  }),
);

function encode(records: readonly ReconcileRecord[]): Uint8Array {
  const writer = new ByteWriter();
  writer.writeU8(RECONCILE_PROTOCOL);
  for (const r of records) writeRecord(writer, r);
  return writer.finish();
}

describe('reconcile message codec', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 6 }), (records) => {
        const decoded = decodeReconcileMessage(encode(records));
        expect(decoded).toEqual({ ok: true, value: records });
      }),
    );
  });

  it('refuses every strict prefix of a non-empty message', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 3 }), fc.nat(), (records, cut) => {
        const bytes = encode(records);
        const prefix = bytes.subarray(0, cut % bytes.length);
        const decoded = decodeReconcileMessage(prefix);
        // A prefix may end exactly on a record boundary; then it holds fewer records.
        if (decoded.ok) expect(decoded.value.length).toBeLessThan(records.length);
      }),
    );
  });

  it('never throws on random bytes, in the codec or in a session', () => {
    const index = new ReconcileIndex();
    for (let i = 0; i < 100; i++) index.set(`k${i}`, Uint8Array.of(i));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, framed) => {
        const message = framed ? Uint8Array.of(RECONCILE_PROTOCOL, ...bytes) : bytes;
        decodeReconcileMessage(message);
        const session = new Reconciler(index, { itemThreshold: 4 });
        const step = session.receive(message);
        if (step.ok && step.value.reply !== undefined)
          expect(step.value.reply.length).toBeLessThanOrEqual(1100);
      }),
      { numRuns: 500 },
    );
  });
});
