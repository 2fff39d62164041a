import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { decodeReplayFloors, encodeReplayFloors } from './replay-floors.js';

const floor = fc.record({
  sender: fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((id) => id as NodeId),
  epoch: fc.nat(),
  counter: fc.nat(),
});

describe('replay floor records', () => {
  it('decode(encode(floors)) returns the floors', () => {
    fc.assert(
      fc.property(fc.array(floor, { maxLength: 50 }), (floors) => {
        const decoded = decodeReplayFloors(encodeReplayFloors(floors));
        expect(decoded.ok && decoded.value).toEqual(floors);
      }),
    );
  });

  it('decoding is total on any bytes: a result, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(typeof decodeReplayFloors(bytes).ok).toBe('boolean');
      }),
    );
  });
});
