import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { ByteWriter } from '../wire/byte-writer.js';
import { Reassembler } from './fragments.js';

// The coordinator's limits: an 80 KiB message may come in 1,280 pieces; 4 MiB held in total.
const limits = { maxMessageBytes: 81_920, maxPendingBytes: 4 * 1024 * 1024, timeoutMs: 60_000 };

/** The first piece of a message announcing `count` pieces: one byte of payload. */
function firstPiece(messageId: number, count: number): Uint8Array {
  return new ByteWriter(16).writeVarint(messageId).writeVarint(0).writeVarint(count).writeU8(7).finish();
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes still reachable after a full collection. */
function retainedHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('Reassembler bookkeeping under a flood of one-byte fragments', () => {
  // Regression: each pending message used to allocate a slot array of `count` entries while
  // only piece bytes were counted, so 30k one-byte fragments announcing 1,280 pieces each held
  // ≈300 MiB (a node went from 60 to 370 MiB); each fragment also walked every pending message.
  it('keeps the memory it retains within its byte budget', () => {
    const reassembler = new Reassembler(limits);
    const senders = Array.from({ length: 30 }, (_, index) => `peer-${index}` as NodeId);
    const before = retainedHeap();
    for (let index = 0; index < 30_000; index++) {
      reassembler.add(senders[index % senders.length] as NodeId, firstPiece(index, 1280), 0);
    }
    const grown = retainedHeap() - before;
    // The budget is 4 MiB of charged bytes; allow the heap twice that for V8's own overheads.
    expect(grown, `retained ${(grown / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(2 * limits.maxPendingBytes);
    expect(reassembler.pendingBytes).toBeLessThanOrEqual(limits.maxPendingBytes);
    expect(reassembler.dropped).toBeGreaterThan(0);
  });
});
