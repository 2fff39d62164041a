import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { SeededRandom } from '../ports/seeded-random.js';
import type { MemberInfo } from './member-state.js';
import { decodeMessage, encodeMessage } from './messages.js';
import { pushPullUpdates, selectPushPullMembers } from './push-pull.js';

const id = (s: string) => s as NodeId;

describe('push-pull', () => {
  it("merges a remote 'dead' as a suspicion accused by the sender (memberlist mergeState)", () => {
    const members: MemberInfo[] = [
      { id: id('a'), state: 'alive', incarnation: 1, address: Uint8Array.of(7) },
      { id: id('b'), state: 'dead', incarnation: 2 },
      { id: id('c'), state: 'suspect', incarnation: 3 },
      { id: id('d'), state: 'left', incarnation: 4 },
    ];
    expect(pushPullUpdates(id('s'), members)).toEqual([
      { kind: 'alive', node: 'a', incarnation: 1, address: Uint8Array.of(7) },
      { kind: 'suspect', node: 'b', incarnation: 2, from: 's' },
      { kind: 'suspect', node: 'c', incarnation: 3, from: 's' },
      { kind: 'left', node: 'd', incarnation: 4 },
    ]);
  });

  it('puts the sender first and fits the body in the byte budget, sampling the rest', () => {
    const own: MemberInfo = { id: id('self'), state: 'alive', incarnation: 9 };
    const others: MemberInfo[] = Array.from({ length: 200 }, (_, i) => ({
      id: id(`member-${i}`),
      state: 'alive',
      incarnation: i,
    }));
    const chosen = selectPushPullMembers(own, others, new SeededRandom(3), 300);
    expect(chosen[0]).toEqual(own);
    expect(chosen.length).toBeGreaterThan(5);
    expect(chosen.length).toBeLessThan(200);
    const body = encodeMessage({ type: 'push-pull', reply: false, members: chosen });
    expect(body.length).toBeLessThanOrEqual(300 + 20);
    expect(decodeMessage(body).ok).toBe(true);
  });
});
