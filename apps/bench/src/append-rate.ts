// Stream appends per second of one node (`openNode` without a directory or UDP, so with its
// OpenSSL signer): 100k appends not awaited (one durable batch, and one signature, per flush),
// then 5k awaited one by one (a batch and a signature each). Run from apps/bench:
//   node --conditions=@shoal/source --import tsx src/append-rate.ts
import { openNode } from '@shoal/node';

const enc = new TextEncoder();
async function once() {
  const node = await openNode({ udp: false });
  const log = (await node.channel('c')).stream('log');
  let t = performance.now();
  const all: Promise<void>[] = [];
  for (let i = 0; i < 100_000; i++) all.push(log.append(enc.encode(`entry ${i} lorem ipsum dolor sit amet`)));
  await Promise.all(all);
  const batched = 100_000 / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < 5_000; i++) await log.append(enc.encode(`awaited ${i}`));
  const awaited = 5_000 / ((performance.now() - t) / 1000);
  await node.dispose();
  return [batched, awaited];
}
const results: number[][] = [];
for (let r = 0; r < 5; r++) results.push(await once());
const best = (i: number) => Math.round(Math.max(...results.map((x) => x[i] ?? 0)));
console.log(`appends/s, best of 5: not awaited ${best(0)}, awaited one by one ${best(1)}`);
