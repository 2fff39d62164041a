/**
 * Range reconciliation benchmark: bytes and round trips to find 1, 100 and 1000 differences
 * between two replicas of 100k and 1M keys, and the index's build time and heap per item.
 *
 *   node --expose-gc --import tsx packages/core/bench/reconcile.bench.ts
 *
 * Differences are mixed: half are keys with another version on B, a quarter keys only A
 * holds, a quarter keys only B holds. Messages are capped at 1100 bytes (one datagram).
 */
import { ReconcileIndex } from '../src/sync/reconcile/reconcile-index.js';
import { Reconciler } from '../src/sync/reconcile/reconciler.js';

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

function version(i: number, generation: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setUint32(0, 1_700_000 + i);
  view.setUint32(4, generation);
  view.setUint32(8, i % 97);
  return out;
}

const keyOf = (i: number) => `sensor/${i}/value`;

function build(size: number): ReconcileIndex {
  const index = new ReconcileIndex();
  for (let i = 0; i < size; i++) index.set(keyOf(i), version(i, 0));
  return index;
}

interface Run {
  readonly messages: number;
  readonly bytes: number;
  readonly largest: number;
  readonly found: number;
}

function run(a: ReconcileIndex, b: ReconcileIndex, sketch: boolean): Run {
  const sides = [new Reconciler(a), new Reconciler(b)] as const;
  let message: Uint8Array | undefined = sides[0].initiate({ sketch });
  let to = 1;
  let messages = 0;
  let bytes = 0;
  let largest = 0;
  let found = 0;
  while (message !== undefined) {
    messages++;
    bytes += message.length;
    largest = Math.max(largest, message.length);
    const step = sides[to]!.receive(message);
    if (!step.ok) throw new Error(step.error);
    found += step.value.theyMayNeed.length;
    message = step.value.reply;
    to = 1 - to;
  }
  return { messages, bytes, largest, found };
}

/** Applies `count` mixed differences to `b`; returns the function undoing them. */
function diverge(b: ReconcileIndex, size: number, count: number): () => void {
  const undo: Array<() => void> = [];
  for (let n = 0; n < count; n++) {
    const i = Math.floor(((n + 0.5) * size) / count);
    const kind = n % 4;
    if (kind < 2) {
      b.set(keyOf(i), version(i, 1));
      undo.push(() => b.set(keyOf(i), version(i, 0)));
    } else if (kind === 2) {
      b.delete(keyOf(i));
      undo.push(() => b.set(keyOf(i), version(i, 0)));
    } else {
      const key = `extra/${n}`;
      b.set(key, version(n, 2));
      undo.push(() => b.delete(key));
    }
  }
  return () => {
    for (const step of undo) step();
  };
}

function benchSize(size: number): void {
  const before = heapUsed();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const a = build(size);
  const buildMs = performance.now() - started;
  const cpuMs = process.cpuUsage(cpuStarted).user / 1000;
  const perItem = (heapUsed() - before) / size;
  const b = build(size);
  console.log(
    `\n## ${size.toLocaleString('en')} keys — build ${(buildMs / 1000).toFixed(1)} s wall, ` +
      `${(cpuMs / 1000).toFixed(1)} s CPU (${((cpuMs * 1000) / size).toFixed(1)} µs/set), ` +
      `heap ${perItem.toFixed(0)} B/item (keys included)\n`,
  );
  console.log(
    '| differences | first message | messages | round trips | total bytes | bytes/difference | largest message | keys found |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const count of [0, 1, 100, 1000]) {
    for (const sketch of [false, true]) {
      const undo = diverge(b, size, count);
      const r = run(a, b, sketch);
      undo();
      const perDiff = count === 0 ? '—' : (r.bytes / count).toFixed(1);
      const first = sketch ? 'sketch' : 'fingerprint';
      console.log(
        `| ${count} | ${first} | ${r.messages} | ${(r.messages / 2).toFixed(1)} | ${r.bytes} | ${perDiff} | ${r.largest} | ${r.found} |`,
      );
    }
  }
  fastPathRate(a, b, size);
}

/** How often one changed key settles in one round trip through the sketch, over many keys. */
function fastPathRate(a: ReconcileIndex, b: ReconcileIndex, size: number): void {
  const trials = 300;
  let fast = 0;
  let bytes = 0;
  for (let t = 0; t < trials; t++) {
    const i = Math.floor(((t + 0.5) * size) / trials);
    b.set(keyOf(i), version(i, 1));
    const r = run(a, b, true);
    b.set(keyOf(i), version(i, 0));
    if (r.messages <= 3) {
      fast++;
      bytes += r.bytes;
    }
  }
  console.log(
    `\nOne changed key with a sketch: ${fast}/${trials} settled in one round trip ` +
      `(${(bytes / Math.max(1, fast)).toFixed(1)} bytes on average when they did).`,
  );
}

const sizes = process.argv.slice(2).map(Number);
for (const size of sizes.length > 0 ? sizes : [100_000, 1_000_000]) benchSize(size);
