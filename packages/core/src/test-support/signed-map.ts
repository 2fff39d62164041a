import { compareTimestamps, type Timestamp, ZERO_TIMESTAMP } from '../clock/timestamp.js';
import type { MapEntry } from '../crdt/lww-map.js';
import type { NodeId } from '../ids/node-id.js';
import { nobleSha256 } from '../ports/sha256.js';
import { nobleEd25519 } from '../ports/signer.js';
import type { EncodedMapEntry, OutgoingObject } from '../protocol/sync-codec.js';
import type { MapGhost, MapProof } from '../protocol/sync-messages.js';
import { mapSetMessage, valueDigest } from '../security/map-set-proofs.js';
import { WriterSet } from '../sync/writer-set.js';

/**
 * A writer's side of one map's signed set (ADR 0058), for tests that send hand-made deltas:
 * each {@link SignedMapWriter.write} adds entries to the set and returns the delta object a
 * replica holding the writer's earlier writes accepts. Signing with a key that is not the
 * writer's makes forgeries; `version` overrides the version signed (a signature from the
 * future).
 */
export class SignedMapWriter {
  readonly #set = new WriterSet(nobleSha256);
  /** The writer's latest entry per key, as sent. */
  readonly #entries = new Map<string, EncodedMapEntry>();
  #version: Timestamp = ZERO_TIMESTAMP;

  constructor(
    readonly map: string,
    readonly writer: NodeId,
    readonly secretKey: Uint8Array,
  ) {}

  /** Adds `entries` to the set and returns a push of them, chained on the writer's previous version. */
  write(entries: readonly EncodedMapEntry[], version?: Timestamp): OutgoingObject {
    const from = this.#version;
    this.add(entries);
    if (version !== undefined) this.#version = version;
    return this.#signed(from, entries);
  }

  /** Adds `entries` to the set (an entry already held changes nothing). */
  add(entries: readonly EncodedMapEntry[]): void {
    for (const encoded of entries) {
      const { entry, valueBytes } = encoded;
      if (
        this.#set.put({
          key: entry.key,
          wall: entry.wall,
          counter: entry.counter,
          digest: digestOf(valueBytes),
        }) === null
      )
        continue;
      this.#entries.set(entry.key, encoded);
      if (compareTimestamps(entry, this.#version) > 0)
        this.#version = { wall: entry.wall, counter: entry.counter };
    }
  }

  /** The whole set signed as it is: what the writer answers a replica at `from` with. */
  object(from: Timestamp = ZERO_TIMESTAMP): OutgoingObject {
    return this.#signed(
      from,
      [...this.#entries.values()].filter(({ entry }) => compareTimestamps(entry, from) > 0),
    );
  }

  #signed(from: Timestamp, entries: readonly EncodedMapEntry[]): OutgoingObject {
    const at = this.#version;
    const signature = nobleEd25519.sign(
      this.secretKey,
      mapSetMessage(this.map, this.writer, at, this.#set.root()),
    );
    const publicKey = nobleEd25519.publicKey(this.secretKey);
    return {
      kind: 'map',
      name: this.map,
      proofs: [
        {
          kind: 'whole',
          writer: this.writer,
          from,
          signed: { version: at, signature, publicKey },
          entries: entries.length,
          ghosts: 0,
        },
      ],
      entries,
      ghosts: [],
    };
  }
}

/** Map objects of one map made into one, their proofs and what they cover kept in order. */
export function joinObjects(objects: readonly OutgoingObject[]): OutgoingObject {
  const first = objects[0];
  if (first === undefined || first.kind !== 'map') throw new Error('joinObjects needs map objects');
  const joined = {
    kind: 'map' as const,
    name: first.name,
    proofs: [] as MapProof[],
    entries: [] as EncodedMapEntry[],
    ghosts: [] as MapGhost[],
  };
  for (const object of objects) {
    if (object.kind !== 'map') continue;
    joined.proofs.push(...object.proofs);
    joined.entries.push(...object.entries);
    joined.ghosts.push(...object.ghosts);
  }
  return joined;
}

/** `entry` with its value encoded as a peer sends it. */
export function encodedEntry(entry: MapEntry, valueBytes: Uint8Array | undefined): EncodedMapEntry {
  return { entry, valueBytes };
}

function digestOf(valueBytes: Uint8Array | undefined): Uint8Array {
  return valueDigest(nobleSha256, valueBytes, 0, valueBytes?.length ?? 0);
}

/** A map object cut into objects of at most `proofs` whole proofs each, with what they cover. */
export function split(object: OutgoingObject, proofs: number): OutgoingObject[] {
  if (object.kind !== 'map') return [object];
  const parts: OutgoingObject[] = [];
  let entry = 0;
  let ghost = 0;
  for (let i = 0; i < object.proofs.length; i += proofs) {
    const group = object.proofs.slice(i, i + proofs);
    let entries = 0;
    let ghosts = 0;
    for (const proof of group) {
      if (proof.kind === 'cut') continue;
      entries += proof.entries;
      ghosts += proof.ghosts;
    }
    parts.push({
      kind: 'map',
      name: object.name,
      proofs: group,
      entries: object.entries.slice(entry, entry + entries),
      ghosts: object.ghosts.slice(ghost, ghost + ghosts),
    });
    entry += entries;
    ghost += ghosts;
  }
  return parts;
}
