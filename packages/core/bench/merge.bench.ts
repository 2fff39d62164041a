/**
 * Receiver-side merge benchmark: what one replica spends, per remote entry, to decode delta
 * bodies, merge them and persist them through the write queue into a `MemoryStore`. Envelope,
 * compression, sealing and the network are left out (they are measured by apps/bench), so
 * this isolates the merge path. Run from the repository root:
 *
 *   node --expose-gc --conditions=@shoal/source --import tsx packages/core/bench/merge.bench.ts [--runs 5]
 *
 * Reports the fastest and the median run: on a shared machine the fastest is the steadiest
 * measure of the code itself. Each message is merged and flushed before the next, as a node
 * receiving one datagram per turn would: one storage batch per message.
 */

import { Hlc } from '../src/clock/hlc.js';
import { resolveConfig } from '../src/coordinator/config.js';
import type { NodeContext } from '../src/coordinator/node-context.js';
import { MapObject } from '../src/coordinator/shared-map.js';
import { StreamObject } from '../src/coordinator/shared-stream.js';
import type { StreamEntry } from '../src/crdt/event-log.js';
import type { MapEntry } from '../src/crdt/lww-map.js';
import { parseNodeId } from '../src/ids/node-id.js';
import { WriteQueue } from '../src/persistence/write-queue.js';
import { nobleSha256 } from '../src/ports/sha256.js';
import { nobleEd25519 } from '../src/ports/signer.js';
import { decodeDelta, encodeDelta } from '../src/protocol/sync-codec.js';
import { MemoryStore } from '../src/storage/memory-store.js';
import { DeltaChunker, type ObjectPlan } from '../src/sync/delta-chunker.js';
import { signedStream } from '../src/test-support/signed-stream.js';
import { signedReplica } from './signed-replica.js';

const ENTRIES = 100_000;
/** The raw body budget of a 1200-byte datagram, and of one that compresses 3×. */
const BUDGETS = [990, 2970];
const WALL = 1_700_000_000_000;
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
const SENDER = parseNodeId('0123456789abcdef0123456789abcdef');
const RECEIVER = parseNodeId('fedcba9876543210fedcba9876543210');
const peers = { sender: SENDER, receiver: RECEIVER };
const SENDER_KEY = new Uint8Array(32).fill(1);
const RECEIVER_KEY = new Uint8Array(32).fill(2);

function context(store: MemoryStore): NodeContext {
  const hlc = new Hlc({ wallClock: () => WALL });
  let changeSeq = 0;
  return {
    self: RECEIVER,
    hlc,
    config: resolveConfig(),
    entryStore: undefined,
    writes: new WriteQueue(store, (error) => {
      throw error;
    }),
    nextChangeSeq: () => ++changeSeq,
    pushLocal: () => {},
    sendPlan: () => {},
    canPush: () => false,
    reportError: (error) => {
      throw error;
    },
    keyOf: () => undefined,
    // The sender's key is learned from its proofs, as from a relay; verified with the pure-JS
    // signer a browser uses (a node process verifies with OpenSSL, about 15× faster).
    authorKey: () => undefined,
    sign: (message) => nobleEd25519.sign(RECEIVER_KEY, message),
    verify: (key, message, signature) => nobleEd25519.verify(key, message, signature),
    sha256: nobleSha256,
    publicKey: nobleEd25519.publicKey(RECEIVER_KEY),
    assertOpen: () => {},
  };
}

function bodies(plan: ObjectPlan, budget: number): Uint8Array[] {
  const chunker = new DeltaChunker('bench', budget, false);
  chunker.add(plan);
  return chunker.finish().map((message) => encodeDelta(message, peers));
}

function streamPlan(): ObjectPlan {
  const entries: StreamEntry[] = [];
  const text = new TextEncoder();
  for (let seq = 1; seq <= ENTRIES; seq++) {
    const payload = text.encode(
      `${seq} lorem ipsum dolor sit amet shoal sync gossip delta digest stream `.repeat(2),
    );
    entries.push({
      author: SENDER,
      seq,
      wall: WALL - ENTRIES + seq,
      counter: 0,
      payload: payload.slice(0, 100),
    });
  }
  return { kind: 'stream', name: 'log', entries: signedStream('log', entries, SENDER_KEY) };
}

function mapPlan(): ObjectPlan {
  const entries: MapEntry[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    entries.push({
      key: `key-${i}`,
      value: { v: i, s: `value-${i}` },
      wall: WALL - ENTRIES + i,
      counter: 0,
      writer: SENDER,
    });
  }
  return { kind: 'map', name: 'm', ...signedReplica(entries, 'm').planDelta(new Map(), '', null) };
}

async function merge(kind: 'map' | 'stream', messages: readonly Uint8Array[]): Promise<number> {
  // Garbage of the previous run is not this run's cost.
  (globalThis as { gc?: () => void }).gc?.();
  const store = new MemoryStore();
  const node = context(store);
  const target =
    kind === 'map'
      ? new MapObject(
          node,
          'bench',
          'm',
          () => 0,
          () => true,
        )
      : new StreamObject(node, 'bench', 'log', () => true);
  const started = performance.now();
  for (const body of messages) {
    const decoded = decodeDelta(body, peers);
    if (!decoded.ok) throw new Error(decoded.error);
    for (const object of decoded.value.objects) if (object.kind === target.kind) target.merge(object);
    await node.writes.flush();
  }
  const ms = performance.now() - started;
  if (store.size < ENTRIES) throw new Error(`only ${store.size} records persisted`);
  return ms;
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const rate = (ms: number) => Math.round(ENTRIES / (ms / 1000)).toLocaleString('en');

console.log(`| workload | body budget | messages | fastest ms | median ms | entries/s (fastest) |`);
console.log(`| --- | ---: | ---: | ---: | ---: | ---: |`);
for (const [kind, plan] of [
  ['stream', streamPlan()],
  ['map', mapPlan()],
] as const) {
  for (const budget of BUDGETS) {
    const messages = bodies(plan, budget);
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) times.push(await merge(kind, messages));
    const [fastest, median] = [sorted(times)[0] as number, sorted(times)[Math.floor(RUNS / 2)] as number];
    console.log(
      `| ${kind} | ${budget} | ${messages.length} | ${fastest.toFixed(0)} | ${median.toFixed(0)} | ${rate(fastest)} |`,
    );
  }
}
