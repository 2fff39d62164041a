import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// Relative imports of core and transport-memory sources, on purpose: under vitest a bare
// `@shoal/core` import from this package resolves to core's `dist` build (the `@shoal/source`
// condition in vitest.config.ts does not reach server-side resolution), which may be stale and
// lacks the Coordinator; and this package has no dependency on (or tsc path alias for)
// transport-memory.
import { Coordinator, type KeyValueStore, type SharedMap, type SharedStream } from '../../core/src/index.js';
import { SimulatedNetwork } from '../../transport-memory/src/index.js';
import { LmdbStore } from '../src/index.js';
import { tempDirectory } from './temp-directory.js';

const root = tempDirectory();
afterAll(() => root.remove());
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Replica {
  readonly node: Coordinator;
  readonly map: SharedMap;
  readonly stream: SharedStream;
}

async function boot(net: SimulatedNetwork, id: string, storage: KeyValueStore): Promise<Replica> {
  const node = await Coordinator.create({
    id,
    port: net.connect(id),
    timers: net.timersFor(id),
    random: net.random(id),
    storage,
  });
  await node.start();
  const channel = await node.channel('room');
  return { node, map: channel.map('kv'), stream: channel.stream('log') };
}

/** Map contents and stream entries (author, seq, payload) in a comparable form. */
function snapshot(replica: Replica): { map: [string, unknown][]; log: string[] } {
  return {
    map: [...replica.map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    log: replica.stream
      .getAll()
      .map(
        (entry) =>
          `${entry.author}/${entry.seq}/${entry.wall}.${entry.counter}/${decoder.decode(entry.payload)}`,
      ),
  };
}

/**
 * A store whose writes can be held back, as a disk queue that has not reached the platter yet:
 * while `stalled`, `batch` waits forever (the process is meant to crash meanwhile).
 */
class StallingStore implements KeyValueStore {
  stalled = false;
  constructor(readonly inner: KeyValueStore) {}
  get(key: Uint8Array) {
    return this.inner.get(key);
  }
  put(key: Uint8Array, value: Uint8Array) {
    return this.#gate(() => this.inner.put(key, value));
  }
  delete(key: Uint8Array) {
    return this.#gate(() => this.inner.delete(key));
  }
  batch(operations: Parameters<KeyValueStore['batch']>[0]) {
    return this.#gate(() => this.inner.batch(operations));
  }
  scan(prefix: Uint8Array) {
    return this.inner.scan(prefix);
  }
  close() {
    return this.inner.close();
  }
  #gate(write: () => Promise<void>): Promise<void> {
    return this.stalled ? new Promise<void>(() => {}) : write();
  }
}

describe('a node on LmdbStore in a simulated cluster', () => {
  it('restarts after a crash with its acknowledged writes and catches up with the others', async () => {
    const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
    const context = `seed ${seed}`;
    const net = new SimulatedNetwork({ seed, latency: { min: 1, max: 20 }, loss: 0.05, duplicate: 0.05 });
    const path = join(root.path, 'durable');
    let store = await LmdbStore.open(path);
    const a = await boot(net, 'a', net.storage('a'));
    const b = await boot(net, 'b', net.storage('b'));
    let c = await boot(net, 'c', store);

    // Everyone writes; c's writes are awaited, i.e. acknowledged as durable on real disk.
    for (let i = 0; i < 20; i++) {
      await a.map.set(`a-${i}`, i);
      await b.stream.append(encoder.encode(`b-${i}`));
      await c.map.set(`c-${i}`, { i, by: 'c' });
      await c.stream.append(encoder.encode(`c-${i}`));
      await c.map.set('shared', `c-${i}`);
      await net.runFor(10);
    }
    const all = [a, b, c];
    const converged = (replicas: Replica[]) => () => {
      const first = JSON.stringify(snapshot(replicas[0] as Replica));
      return replicas.every((replica) => JSON.stringify(snapshot(replica)) === first);
    };
    expect(await net.runUntil(converged(all), { timeout: 30_000 }), context).toBe(true);
    // Entries c merged from peers are persisted in the background; flush makes them durable
    // too (the sim is not running, so nothing new arrives meanwhile).
    await c.node.flush();
    const acknowledged = snapshot(c);
    const ownStamps = c.stream.getAll().filter((entry) => entry.author === 'c');
    const lastOwn = ownStamps.at(-1);

    // Crash c as a process dies: no dispose, no flush. Its timers and port die with it; the
    // store handle is closed here only because the directory lock belongs to this (live)
    // process, which a real restart would not have.
    net.crash('c');
    await store.close();

    // While c is down, a and b keep writing, including over c's own key.
    for (let i = 20; i < 40; i++) {
      await a.map.set(`a-${i}`, i);
      await b.stream.append(encoder.encode(`b-${i}`));
      if (i % 5 === 0) await b.map.set('shared', `b-${i}`);
      await net.runFor(10);
    }
    expect(await net.runUntil(converged([a, b]), { timeout: 30_000 }), context).toBe(true);

    // Restart c on the same directory. Before any sync, it holds exactly what it acknowledged.
    net.restart('c');
    store = await LmdbStore.open(path);
    c = await boot(net, 'c', store);
    expect(c.node.id).toBe('c');
    expect(snapshot(c), `${context}: c reloaded its acknowledged state`).toEqual(acknowledged);

    // It catches up with what it missed, and nobody lost c's writes.
    expect(await net.runUntil(converged([a, b, c]), { timeout: 60_000 }), context).toBe(true);
    expect(c.map.get('shared'), context).toBe('b-35');
    expect(c.map.get('a-39'), context).toBe(39);
    expect(c.stream.getAll().filter((entry) => entry.author === 'b').length, context).toBe(40);
    for (let i = 0; i < 20; i++) expect(a.map.get(`c-${i}`), context).toEqual({ i, by: 'c' });

    // New local writes continue c's history: next seq, a later stamp.
    await c.stream.append(encoder.encode('c-after'));
    const next = c.stream
      .getAll()
      .filter((entry) => entry.author === 'c')
      .at(-1);
    expect(next?.seq, context).toBe(21);
    expect(lastOwn, context).toBeDefined();
    if (next !== undefined && lastOwn !== undefined) {
      expect(next.wall * 65_536 + next.counter, context).toBeGreaterThan(
        lastOwn.wall * 65_536 + lastOwn.counter,
      );
    }
    expect(await net.runUntil(converged([a, b, c]), { timeout: 30_000 }), context).toBe(true);

    // What c learnt by catching up is durable too: crash again, reopen, compare before syncing.
    await c.node.flush();
    const caughtUp = snapshot(c);
    net.crash('c');
    await store.close();
    net.restart('c');
    store = await LmdbStore.open(path);
    c = await boot(net, 'c', store);
    expect(snapshot(c), `${context}: the caught-up state survived a second crash`).toEqual(caughtUp);

    // A graceful leave gossips on virtual time, so dispose while the network runs.
    const disposed = Promise.all([a, b, c].map((replica) => replica.node.dispose()));
    await net.runFor(10_000);
    await disposed;
  }, 30_000);

  // Regression: a local append must not reach peers before it is durable. If it did and the
  // process died in between, the restarted node would reissue the same seq with another payload;
  // peers would keep the first entry, the author the second, and the replicas would never converge.
  it('never reuses a stream seq a crash cut off before it was durable', async () => {
    const seed = Number(process.env.SEED ?? 7);
    const net = new SimulatedNetwork({ seed, latency: 5 });
    const path = join(root.path, 'stalled');
    let store = await LmdbStore.open(path);
    const disk = new StallingStore(store);
    const a = await boot(net, 'a', net.storage('a'));
    let c = await boot(net, 'c', disk);
    await c.stream.append(encoder.encode('durable'));
    await net.runUntil(() => a.stream.size === 1, { timeout: 10_000 });

    // The append reaches `a` by eager push; its storage write never completes before the crash.
    disk.stalled = true;
    void c.stream.append(encoder.encode('pushed-then-lost'));
    await net.runUntil(() => a.stream.size === 2, { timeout: 10_000 });
    net.crash('c');
    await store.close();

    net.restart('c');
    store = await LmdbStore.open(path);
    c = await boot(net, 'c', store);
    await c.stream.append(encoder.encode('after-restart')); // acknowledged as durable
    await net.runFor(10_000);
    const seqs = (replica: Replica) =>
      replica.stream.getAll().map((entry) => `${entry.author}/${entry.seq}:${decoder.decode(entry.payload)}`);
    try {
      // c/2 is 'pushed-then-lost' on a and 'after-restart' on c: the same (author, seq) twice.
      expect(seqs(c)).toEqual(seqs(a));
    } finally {
      const disposed = Promise.all([a, c].map((replica) => replica.node.dispose()));
      await net.runFor(10_000);
      await disposed;
    }
  }, 20_000);
});
