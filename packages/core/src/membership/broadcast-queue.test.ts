import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids/node-id.js';
import { BroadcastQueue } from './broadcast-queue.js';
import type { MemberUpdate } from './member-state.js';
import { decodePiggyback, encodeUpdate } from './updates.js';

const alive = (node: string, incarnation = 1): MemberUpdate => ({
  kind: 'alive',
  node: node as NodeId,
  incarnation,
});

function taken(queue: BroadcastQueue, maxBytes = 1000, limit = 10): MemberUpdate[] {
  const bytes = queue.take(maxBytes, limit);
  if (bytes === undefined) return [];
  const decoded = decodePiggyback(bytes);
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value;
}

describe('BroadcastQueue', () => {
  it('lets a newer update about a member supersede the queued one', () => {
    const queue = new BroadcastQueue();
    queue.enqueue('a' as NodeId, encodeUpdate(alive('a', 1)));
    queue.enqueue('a' as NodeId, encodeUpdate(alive('a', 2)));
    expect(taken(queue)).toEqual([alive('a', 2)]);
  });

  it('sends each update at most `limit` times', () => {
    const queue = new BroadcastQueue();
    queue.enqueue('a' as NodeId, encodeUpdate(alive('a')));
    expect(taken(queue, 1000, 3)).toHaveLength(1);
    expect(taken(queue, 1000, 3)).toHaveLength(1);
    expect(taken(queue, 1000, 3)).toHaveLength(1);
    expect(queue.take(1000, 3)).toBeUndefined();
    expect(queue.has('a' as NodeId)).toBe(false);
  });

  it('takes the least transmitted first, and the newest among equals', () => {
    const queue = new BroadcastQueue();
    queue.enqueue('a' as NodeId, encodeUpdate(alive('a')));
    queue.enqueue('b' as NodeId, encodeUpdate(alive('b')));
    const one = encodeUpdate(alive('a')).length + 3;
    expect(taken(queue, one)).toEqual([alive('b')]);
    expect(taken(queue, one)).toEqual([alive('a')]);
    queue.enqueue('c' as NodeId, encodeUpdate(alive('c')));
    expect(taken(queue, one)).toEqual([alive('c')]);
  });

  it('packs as many updates as fit in the byte budget, never more', () => {
    const queue = new BroadcastQueue();
    for (const id of ['a', 'b', 'c', 'd', 'e']) queue.enqueue(id as NodeId, encodeUpdate(alive(id)));
    const size = encodeUpdate(alive('a')).length;
    const bytes = queue.take(2 + 3 * size, 10);
    expect(bytes?.length).toBeLessThanOrEqual(2 + 3 * size);
    expect(taken(queue, 1000)).toHaveLength(5);
    expect(queue.take(2, 10)).toBeUndefined();
  });
});
