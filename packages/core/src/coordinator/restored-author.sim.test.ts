import { fcParams } from '@shoal/testkit';
import { SimulatedNetwork } from '@shoal/transport-memory';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEntry } from '../crdt/event-log.js';
import type { NodeId } from '../ids/node-id.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import { generateSecret } from '../security/network-secret.js';
import { MemoryStore } from '../storage/memory-store.js';
import { copyOf } from '../test-support/store-copy.js';
import type { Coordinator } from './coordinator.js';
import { createNode } from './create-node.js';
import type { SharedStream } from './shared-stream.js';

const text = (entry: StreamEntry) => new TextDecoder().decode(entry.payload);
const bytes = (text: string) => new TextEncoder().encode(text);

// ADR 0057. A node restored from a backup under its own id appends at seqs its peers already
// hold from the original node; its peers keep the original. The restored node must take the
// original entries back and append what it wrote since after them, so every replica ends with
// one history of that author holding every entry either copy wrote, once. With `carolFirst`,
// carol missed the original's entries after the backup and meets the restored copy first, so
// she holds the copy's history before the original's: she must take the original's in the end.
describe('a node restored from a backup that appended before meeting its peers (simulated)', () => {
  it('takes back its original entries and appends its own after them: nothing lost, no split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.integer({ min: 1, max: 6 }),
        fc.nat(6),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.boolean(),
        async (seed, written, backupAt, later, restart, carolFirst) => {
          const backupPoint = Math.min(backupAt, written);
          const net = new SimulatedNetwork({ seed, latency: { min: 1, max: 10 } });
          const secret = generateSecret();
          const peers = await Promise.all(
            ['bob', 'carol'].map((id) => createNode({ id, ...net.nodePorts(id), secret })),
          );
          const peerStreams: SharedStream[] = [];
          for (const peer of peers) peerStreams.push((await peer.channel('c')).stream('s'));
          const open = (storage: KeyValueStore): Promise<Coordinator> =>
            createNode({ port: (id) => net.connect(id), timers: net.timersFor('alice'), storage, secret });

          const storage = new MemoryStore();
          let alice = await open(storage);
          const id = alice.id as NodeId;
          let stream = (await alice.channel('c')).stream('s');
          const [bobStream, carolStream] = peerStreams as [SharedStream, SharedStream];
          const ofAlice = (s: SharedStream) => s.getAll().filter((entry) => entry.author === id);
          let backup: MemoryStore | undefined;
          for (let i = 1; i <= written; i++) {
            if (i - 1 === backupPoint) {
              await alice.flush();
              backup = await copyOf(storage);
              if (carolFirst) {
                expect(
                  await net.runUntil(() => ofAlice(carolStream).length === backupPoint, { timeout: 30_000 }),
                ).toBe(true);
                net.partition([id, 'bob'], ['carol']);
              }
            }
            await stream.append(bytes(`original ${i}`));
          }
          await alice.flush();
          backup ??= await copyOf(storage);
          const bobHolds = () => ofAlice(bobStream).length === written;
          expect(await net.runUntil(bobHolds, { timeout: 30_000 })).toBe(true);
          if (!carolFirst)
            expect(
              await net.runUntil(() => ofAlice(carolStream).length === written, { timeout: 30_000 }),
            ).toBe(true);
          await alice.dispose({ leave: false });
          net.crash(id);
          net.restart(id);

          // The restored copy appends while it reaches nobody (or only carol), then meets its peers.
          net.heal();
          net.partition(carolFirst ? [id, 'carol'] : [id], carolFirst ? ['bob'] : ['bob', 'carol']);
          alice = await open(backup);
          expect(alice.id).toBe(id);
          stream = (await alice.channel('c')).stream('s');
          for (let i = 1; i <= later; i++) await stream.append(bytes(`restored ${i}`));
          if (carolFirst)
            expect(
              await net.runUntil(() => ofAlice(carolStream).length === backupPoint + later, {
                timeout: 30_000,
              }),
            ).toBe(true);
          net.heal();
          const expected = [
            ...Array.from({ length: written }, (_, i) => `original ${i + 1}`),
            ...Array.from({ length: later }, (_, i) => `restored ${i + 1}`),
          ];
          const all = () => [stream, ...peerStreams];
          const settled = () => all().every((s) => ofAlice(s).map(text).join('|') === expected.join('|'));
          const message = () =>
            `seed ${seed}, written ${written}, backup at ${backupPoint}, later ${later}, carol first ${carolFirst}:\n${all()
              .map((s) =>
                ofAlice(s)
                  .map((entry) => `${entry.seq}:${text(entry)}`)
                  .join(' '),
              )
              .join('\n')}`;
          expect(await net.runUntil(settled, { timeout: 60_000 }), message()).toBe(true);

          if (restart) {
            // What it rewrote is what it stored: reopened, it offers the same history, signed.
            await alice.flush();
            const kept = await copyOf(backup);
            await alice.dispose({ leave: false });
            net.crash(id);
            net.restart(id);
            alice = await open(kept);
            stream = (await alice.channel('c')).stream('s');
            expect(ofAlice(stream).map(text)).toEqual(expected);
            await stream.append(bytes('after restart'));
            expect(
              await net.runUntil(
                () => peerStreams.every((s) => ofAlice(s).map(text).at(-1) === 'after restart'),
                {
                  timeout: 30_000,
                },
              ),
              message(),
            ).toBe(true);
          }
          await Promise.all([alice, ...peers].map((node) => node.dispose({ leave: false }).catch(() => {})));
        },
      ),
      fcParams({ numRuns: 25 }),
    );
  }, 300_000);
});
