import { createNode, MemoryStore } from '@shoal/core';
import { ManualTimers } from '../../../packages/testkit/src/index.ts';
import * as Y from 'yjs';

const N = 100_000;
const mode = process.argv[2] ?? 'all';
async function shoalSet(tx: boolean) {
  const node = await createNode({ id: 'a', timers: new ManualTimers(), storage: new MemoryStore(), membership: false });
  const ch = await node.channel('c');
  const map = ch.map('m');
  const t0 = performance.now();
  let last: Promise<void> | undefined;
  if (tx) await ch.transact(() => { for (let i = 0; i < N; i++) void map.set(`key-${i}`, { on: true, level: i % 10 }); });
  else { for (let i = 0; i < N; i++) last = map.set(`key-${i}`, { on: true, level: i % 10 }); await last; }
  const t1 = performance.now();
  return N / ((t1 - t0) / 1000);
}
function yjsSet(tx: boolean) {
  const doc = new Y.Doc(); const m = doc.getMap('m');
  const t0 = performance.now();
  if (tx) doc.transact(() => { for (let i = 0; i < N; i++) m.set(`key-${i}`, { on: true, level: i % 10 }); });
  else for (let i = 0; i < N; i++) doc.transact(() => m.set(`key-${i}`, { on: true, level: i % 10 }));
  return N / ((performance.now() - t0) / 1000);
}
const best = { set: 0, yset: 0, tx: 0, ytx: 0 };
for (let r = 0; r < Number(process.env.R ?? 7); r++) {
  if (mode === 'all' || mode === 'set') { best.set = Math.max(best.set, await shoalSet(false)); best.yset = Math.max(best.yset, yjsSet(false)); }
  if (mode === 'all' || mode === 'tx') { best.tx = Math.max(best.tx, await shoalSet(true)); best.ytx = Math.max(best.ytx, yjsSet(true)); }
}
console.log(Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v)])), 'set ratio', (best.set / best.yset).toFixed(2), 'tx ratio', (best.tx / best.ytx).toFixed(2));
