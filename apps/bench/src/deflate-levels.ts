// How long Node's zlib takes to deflate, and how small it gets, the message bodies of two
// syncs at each level: a newcomer receiving 100k map keys and a newcomer receiving 100k stream
// entries of 100 bytes (the `newcomer` and `stream-merge` workloads). The bodies are the ones
// `nodeZlibCompression` is handed in those syncs, recorded; each level deflates them all, best
// of 5, with the port's window and memory settings. Run from apps/bench:
//   node --conditions=@shoal/source --import tsx src/deflate-levels.ts
import { deflateRawSync } from 'node:zlib';
import type { Compression } from '@shoal/core';
import { nodeZlibCompression } from '@shoal/node';
import { shoalSubject } from './shoal-subject.js';
import { streamPayloads } from './workload-data.js';

const KEYS = 100_000;
const LEVELS = [6, 5, 4, 1];

async function recordBodies(sync: 'map' | 'stream'): Promise<Uint8Array[]> {
  const bodies: Uint8Array[] = [];
  let recording = false;
  const recorder: Compression = {
    deflate(bytes) {
      if (recording) bodies.push(bytes.slice());
      return nodeZlibCompression.deflate(bytes);
    },
    inflate: nodeZlibCompression.inflate,
  };
  const pair = await shoalSubject(false, recorder).pair({
    keys: sync === 'map' ? KEYS : 0,
    writers: 1,
    synced: false,
  });
  if (sync === 'stream') await pair.append('a', streamPayloads(KEYS, 3));
  recording = true;
  await pair.sync();
  await pair.dispose();
  return bodies;
}

for (const sync of ['map', 'stream'] as const) {
  const bodies = await recordBodies(sync);
  const raw = bodies.reduce((sum, body) => sum + body.length, 0);
  console.log(`${sync}: ${bodies.length} bodies, ${(raw / 1024).toFixed(1)} KB raw`);
  for (const level of LEVELS) {
    let best = Number.POSITIVE_INFINITY;
    let bytes = 0;
    for (let run = 0; run < 5; run++) {
      bytes = 0;
      const start = performance.now();
      for (const body of bodies) bytes += deflateRawSync(body, { level, windowBits: 13, memLevel: 6 }).length;
      best = Math.min(best, performance.now() - start);
    }
    console.log(`  level ${level}: ${(bytes / 1024).toFixed(1)} KB in ${best.toFixed(0)} ms`);
  }
}
