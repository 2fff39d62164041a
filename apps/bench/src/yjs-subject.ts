import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { readSyncMessage, writeSyncStep1 } from 'y-protocols/sync';
import * as Y from 'yjs';
import { type Endpoint, lockstep } from './lockstep.js';
import type { MapWrite, Pair, PairSetup, Side, Subject } from './subject.js';
import { mapWrites } from './workload-data.js';

/**
 * Yjs: a `Y.Map` of plain `{v, s}` objects and a `Y.Array` of strings, synced by y-protocols
 * sync step 1 (state vector) / step 2 (update) in both directions, as y-websocket does on
 * every connect. Bytes are the y-protocols sync messages (no outer transport framing).
 */
export const yjsSubject: Subject = {
  name: 'Yjs',
  maxKeys: Number.POSITIVE_INFINITY,
  async pair(setup: PairSetup): Promise<Pair> {
    const a = new Y.Doc();
    fill(a, setup);
    const b = new Y.Doc();
    if (setup.synced) Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    return new YjsPair(a, b);
  },
};

/** Writes the setup keys; several writers are modelled as distinct client ids taking turns. */
function fill(doc: Y.Doc, setup: PairSetup): void {
  const own = doc.clientID;
  const perWriter = Math.ceil(setup.keys / setup.writers);
  for (let w = 0; w < setup.writers; w++) {
    // Yjs picks random 32-bit client ids; keep that size so state vectors are realistic.
    if (setup.writers > 1) doc.clientID = (0x9e3779b1 * (w + 1)) >>> 0;
    writeAll(doc, mapWrites(w * perWriter, Math.min(setup.keys, (w + 1) * perWriter)));
  }
  doc.clientID = own;
}

function writeAll(doc: Y.Doc, writes: readonly MapWrite[]): void {
  const map = doc.getMap('m');
  for (const { key, value } of writes) doc.transact(() => map.set(key, { ...value }));
}

class YjsPair implements Pair {
  readonly #docs: Record<Side, Y.Doc>;

  constructor(a: Y.Doc, b: Y.Doc) {
    this.#docs = { a, b };
  }

  async write(side: Side, writes: readonly MapWrite[]): Promise<void> {
    writeAll(this.#docs[side], writes);
  }

  async append(side: Side, payloads: readonly string[]): Promise<void> {
    const doc = this.#docs[side];
    const log = doc.getArray<string>('log');
    for (const payload of payloads) doc.transact(() => log.push([payload]));
  }

  async sync() {
    const { a, b } = this.#docs;
    return lockstep(endpoint(a), endpoint(b), () => equal(Y.encodeStateVector(a), Y.encodeStateVector(b)));
  }

  async dispose(): Promise<void> {
    this.#docs.a.destroy();
    this.#docs.b.destroy();
  }
}

function endpoint(doc: Y.Doc): Endpoint {
  return {
    open() {
      const encoder = encoding.createEncoder();
      writeSyncStep1(encoder, doc);
      return [encoding.toUint8Array(encoder)];
    },
    receive(message) {
      const encoder = encoding.createEncoder();
      readSyncMessage(decoding.createDecoder(message), encoder, doc, 'remote');
      return encoding.length(encoder) > 0 ? [encoding.toUint8Array(encoder)] : [];
    },
  };
}

function equal(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}
