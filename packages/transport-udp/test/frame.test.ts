import { parseNodeId } from '@shoal/core';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FRAME_VERSION, frameOverhead } from '../src/index.js';

const alice = parseNodeId('alice');

describe('frame', () => {
  it('round-trips sender and payload', () => {
    const payload = new Uint8Array([1, 2, 3, 250]);
    const result = decodeFrame(encodeFrame(alice, payload));
    expect(result).toEqual({ ok: true, value: { from: alice, payload } });
  });

  it('accepts an empty payload', () => {
    const result = decodeFrame(encodeFrame(alice, new Uint8Array()));
    expect(result.ok && result.value.payload.length).toBe(0);
  });

  it('costs 4 bytes plus the id length, and 16 bytes for a generated id', () => {
    expect(frameOverhead(alice)).toBe(9);
    expect(encodeFrame(alice, new Uint8Array(10)).length).toBe(19);
    const generated = parseNodeId('0123456789abcdef0123456789abcdef');
    expect(frameOverhead(generated)).toBe(20);
    const decoded = decodeFrame(encodeFrame(generated, new Uint8Array([5])));
    expect(decoded.ok && decoded.value.from).toBe(generated);
  });

  it('copies the payload so the caller may reuse its buffer', () => {
    const payload = new Uint8Array([7]);
    const frame = encodeFrame(alice, payload);
    payload[0] = 8;
    expect(frame.at(-1)).toBe(7);
  });

  it.each([
    ['empty', []],
    ['truncated header', [0x53, 0x48, FRAME_VERSION]],
    ['bad magic', [0x53, 0x49, FRAME_VERSION, 1, 0x61]],
    ['unknown version', [0x53, 0x48, FRAME_VERSION + 1, 1, 0x61]],
    ['a compact id cut short', [0x53, 0x48, FRAME_VERSION, 0, 1, 2, 3]],
    ['id length above the limit', [0x53, 0x48, FRAME_VERSION, 65, ...new Array(65).fill(0x61)]],
    ['truncated id', [0x53, 0x48, FRAME_VERSION, 5, 0x61, 0x62]],
    ['id with a forbidden character', [0x53, 0x48, FRAME_VERSION, 2, 0x61, 0x20]],
  ])('rejects %s', (_name, bytes) => {
    expect(decodeFrame(new Uint8Array(bytes)).ok).toBe(false);
  });
});
