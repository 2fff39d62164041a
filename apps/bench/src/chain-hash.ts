// Stream entries taken into a log per second with each SHA-256 port: every entry appended or
// received is hashed once into its author's chain (ADR 0054), so this is the hashing share of a
// stream merge or append. 100k entries of 100 bytes, best of 3 per port, alternated. Run from
// apps/bench:
//   node --conditions=@shoal/source --import tsx src/chain-hash.ts
import { type NodeId, nobleSha256, type Sha256 } from '@shoal/core';
import { nodeSha256 } from '@shoal/node';
import { EventLog } from './core-internals.js';

const ENTRIES = 100_000;
const payload = new Uint8Array(100).fill(0x41);
const author = 'a' as NodeId;

function time(sha256: Sha256): number {
  const log = new EventLog({ sha256 });
  const start = performance.now();
  for (let seq = 1; seq <= ENTRIES; seq++)
    log.apply({ author, seq, wall: 1_700_000_000_000 + seq, counter: 0, payload });
  return performance.now() - start;
}

const best = { nobleSha256: Number.POSITIVE_INFINITY, nodeSha256: Number.POSITIVE_INFINITY };
for (let round = 0; round < 3; round++) {
  best.nobleSha256 = Math.min(best.nobleSha256, time(nobleSha256));
  best.nodeSha256 = Math.min(best.nodeSha256, time(nodeSha256));
}
for (const [port, ms] of Object.entries(best))
  console.log(
    `${port}: ${Math.round(ms)} ms for ${ENTRIES} entries (${Math.round(ENTRIES / (ms / 1000) / 1000)}k/s)`,
  );
