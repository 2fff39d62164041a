import * as A from '@automerge/automerge';
import { type Endpoint, lockstep } from './lockstep.js';
import type { MapWrite, Pair, PairSetup, Side, Subject } from './subject.js';
import { mapWrites } from './workload-data.js';

type Doc = A.Doc<Record<string, unknown>>;

interface Replica {
  doc: Doc;
  sync: A.SyncState;
}

/**
 * Automerge: the root map holds `key → {v, s}` (a nested map, as `d[key] = {v, s}` makes) and
 * a list `log` of strings, synced by the Automerge sync protocol until both sides go quiet.
 *
 * With `persistSyncState` each side keeps its peer's sync state across reconnects, encoded and
 * decoded as an app that persists it would (automerge-repo does); without it every reconnect
 * starts from `initSyncState()`.
 */
export function automergeSubject(persistSyncState: boolean, maxKeys: number): Subject {
  const bases = new Map<string, { a: Doc; b: Doc; sa: A.SyncState; sb: A.SyncState }>();
  return {
    name: persistSyncState ? 'Automerge' : 'Automerge (fresh sync state)',
    maxKeys,
    async pair(setup: PairSetup): Promise<Pair> {
      // Building 100k single-key changes takes tens of seconds, so each shape is built once
      // and every pair starts from a clone of it.
      const id = `${setup.keys}/${setup.writers}/${setup.synced}`;
      let base = bases.get(id);
      if (base === undefined) {
        const pair = new AutomergePair(
          { doc: build(setup), sync: A.initSyncState() },
          { doc: A.init(), sync: A.initSyncState() },
          true,
        );
        if (setup.synced) await pair.sync();
        const a = pair.replica('a');
        const b = pair.replica('b');
        base = { a: a.doc, b: b.doc, sa: a.sync, sb: b.sync };
        bases.set(id, base);
      }
      // A pair without memory has never exchanged a message: each side starts a fresh state.
      const keep = persistSyncState && setup.memory !== false;
      return new AutomergePair(
        { doc: A.clone(base.a), sync: keep ? base.sa : A.initSyncState() },
        { doc: A.clone(base.b), sync: keep ? base.sb : A.initSyncState() },
        keep,
      );
    },
  };
}

/** Builds replica `a`; several writers are distinct actors writing concurrently, then merged. */
function build(setup: PairSetup): Doc {
  let doc = A.init<Record<string, unknown>>();
  doc = A.change(doc, (d) => {
    d.log = [];
  });
  const perWriter = Math.ceil(setup.keys / setup.writers);
  for (let w = 0; w < setup.writers; w++) {
    const writes = mapWrites(w * perWriter, Math.min(setup.keys, (w + 1) * perWriter));
    if (setup.writers === 1) {
      writeAll(doc, writes);
      continue;
    }
    const writer = A.init<Record<string, unknown>>();
    writeAll(writer, writes);
    A.getBackend(doc).applyChanges(A.getAllChanges(writer));
  }
  // Writes went through the backend; a clone rebuilds the document view from it.
  return A.clone(doc);
}

/**
 * One change per key through the low-level backend: `A.change` on a 100k-key document costs
 * tens of ms per call here, which would measure the proxy layer rather than sync.
 */
function writeAll(doc: Doc, writes: readonly MapWrite[]): void {
  const backend = A.getBackend(doc);
  for (const { key, value } of writes) {
    const object = backend.putObject('_root', key, {});
    backend.put(object, 'v', value.v);
    backend.put(object, 's', value.s);
    backend.commit();
  }
}

class AutomergePair implements Pair {
  readonly #replicas: Record<Side, Replica>;
  readonly #persist: boolean;

  constructor(a: Replica, b: Replica, persist: boolean) {
    this.#replicas = { a, b };
    this.#persist = persist;
  }

  replica(side: Side): Replica {
    return this.#replicas[side];
  }

  async write(side: Side, writes: readonly MapWrite[]): Promise<void> {
    const replica = this.#replicas[side];
    writeAll(replica.doc, writes);
    replica.doc = A.clone(replica.doc);
  }

  async append(side: Side, payloads: readonly string[]): Promise<void> {
    const replica = this.#replicas[side];
    const backend = A.getBackend(replica.doc);
    const log = backend.getWithType('_root', 'log');
    if (log === null || log[0] !== 'list') throw new Error('the log list is missing');
    for (const payload of payloads) {
      backend.push(log[1], payload);
      backend.commit();
    }
    replica.doc = A.clone(replica.doc);
  }

  async sync() {
    const { a, b } = this.#replicas;
    for (const replica of [a, b]) {
      replica.sync = this.#persist ? A.decodeSyncState(A.encodeSyncState(replica.sync)) : A.initSyncState();
    }
    return lockstep(endpoint(a), endpoint(b), () => sameHeads(a.doc, b.doc));
  }

  async dispose(): Promise<void> {}
}

function endpoint(replica: Replica): Endpoint {
  const generate = (): Uint8Array[] => {
    const [sync, message] = A.generateSyncMessage(replica.doc, replica.sync);
    replica.sync = sync;
    return message === null ? [] : [message];
  };
  return {
    open: generate,
    receive(message) {
      [replica.doc, replica.sync] = A.receiveSyncMessage(replica.doc, replica.sync, message);
      return generate();
    },
  };
}

function sameHeads(x: Doc, y: Doc): boolean {
  return A.getHeads(x).sort().join() === A.getHeads(y).sort().join();
}
