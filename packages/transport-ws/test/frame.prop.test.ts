import { type NodeId, randomNodeId, SeededRandom } from '@shoal/core';
import { fcParams } from '@shoal/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeData,
  encodeHeartbeat,
  encodeHubs,
  encodePeers,
  encodeWelcome,
  FrameType,
  MAX_HUB_URLS,
  MAX_PEER_IDS,
} from '../src/index.js';

const nodeId = fc.oneof(
  fc.integer().map((seed) => randomNodeId(new SeededRandom(seed))),
  fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
) as fc.Arbitrary<NodeId>;
const url = fc.webUrl().map((u) => u.replace(/^https?/, 'ws'));

const frame = fc.oneof(
  fc
    .record({ hub: nodeId, blind: fc.boolean(), hubs: fc.array(url, { maxLength: MAX_HUB_URLS }) })
    .map((f) => ({ bytes: encodeWelcome(f.hub, f.blind, f.hubs), value: { type: FrameType.Welcome, ...f } })),
  fc
    .record({ to: nodeId, from: nodeId, payload: fc.uint8Array({ maxLength: 300 }) })
    .map((f) => ({ bytes: encodeData(f.to, f.from, f.payload), value: { type: FrameType.Data, ...f } })),
  fc
    .record({
      up: fc.array(nodeId, { maxLength: MAX_PEER_IDS }),
      down: fc.array(nodeId, { maxLength: MAX_PEER_IDS }),
    })
    .map((f) => ({ bytes: encodePeers(f.up, f.down), value: { type: FrameType.Peers, ...f } })),
  fc
    .constantFrom(FrameType.Ping, FrameType.Pong)
    .map((type) => ({ bytes: encodeHeartbeat(type), value: { type } })),
  fc
    .array(url, { maxLength: MAX_HUB_URLS })
    .map((hubs) => ({ bytes: encodeHubs(hubs), value: { type: FrameType.Hubs, hubs } })),
);

describe('WebSocket frames', () => {
  it('decode to what was encoded', () => {
    fc.assert(
      fc.property(frame, ({ bytes, value }) => {
        expect(decodeFrame(bytes)).toEqual({ ok: true, value });
      }),
      fcParams({ numRuns: 300 }),
    );
  });

  it('refuse every strict prefix of a frame other than Data (whose payload is the rest)', () => {
    fc.assert(
      fc.property(frame, ({ bytes, value }) => {
        const minimum = value.type === FrameType.Data ? bytes.length - value.payload.length : bytes.length;
        for (let cut = 0; cut < minimum; cut++) expect(decodeFrame(bytes.subarray(0, cut)).ok).toBe(false);
      }),
      fcParams({ numRuns: 100 }),
    );
  });

  it('never throw on arbitrary bytes, and refuse trailing bytes and unknown versions or types', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(() => decodeFrame(bytes)).not.toThrow();
      }),
      fcParams({ numRuns: 1000 }),
    );
    expect(decodeFrame(Uint8Array.of(1, FrameType.Ping, 0)).ok).toBe(false);
    expect(decodeFrame(Uint8Array.of(2, FrameType.Ping)).ok).toBe(false);
    expect(decodeFrame(Uint8Array.of(1, 99)).ok).toBe(false);
    expect(decodeFrame(Uint8Array.of(1, FrameType.Welcome, 2, 1, 0x61, 0)).ok).toBe(false);
  });
});
