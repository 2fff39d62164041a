import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/shoal-error.js';
import { FillableStore } from '../test-support/fillable-store.js';
import { createNode } from './create-node.js';

describe('a write refused on a full disk', () => {
  it('reaches the peers once it lands after all, though nothing is written after it', async () => {
    const net = new SimulatedNetwork({ seed: 8, latency: 2 });
    const storage = new FillableStore();
    const a = await createNode({ id: 'a', port: net.connect('a'), timers: net.timersFor('a'), storage });
    const b = await createNode({ id: 'b', ...net.nodePorts('b') });
    const onA = (await a.channel('c')).map('m');
    const log = (await a.channel('c')).stream('s');
    const onB = (await b.channel('c')).map('m');
    const logB = (await b.channel('c')).stream('s');
    await net.runFor(2000);
    storage.full = true;
    await expect(onA.set('k', 'refused, kept')).rejects.toMatchObject({ code: ErrorCode.StorageFull });
    await expect(log.append(Uint8Array.of(7))).rejects.toMatchObject({ code: ErrorCode.StorageFull });
    await net.runFor(3000);
    expect(onB.has('k')).toBe(false);
    // Space returns. The application writes nothing more; the node's own records (replay floors,
    // peer memory) carry the refused writes to disk, and from there to the peer.
    storage.full = false;
    expect(
      await net.runUntil(() => onB.get('k') === 'refused, kept' && logB.size === 1, { timeout: 60_000 }),
    ).toBe(true);
  });
});
