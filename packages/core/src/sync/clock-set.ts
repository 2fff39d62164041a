import { sha256 } from '@noble/hashes/sha2.js';
import { sameChain } from '../crdt/stream-chain.js';
import type { NodeId } from '../ids/node-id.js';
import { writeMapClock } from '../protocol/map-clock-codec.js';
import { writeStreamClock } from '../protocol/stream-clock-codec.js';
import type { MapClock, ObjectDigest, ObjectKind, StreamClock } from '../protocol/sync-messages.js';
import { bytesEqual } from '../storage/bytes.js';
import { ByteWriter } from '../wire/byte-writer.js';
import type { Lacking } from './synced-object.js';

/**
 * A clock: a map writer's synced timestamp (and a catch-up under way), or a stream author's
 * seq and fingerprint.
 */
export type Clock = MapClock | StreamClock;

/** One object's clocks: its kind and name, and per writer its clock. */
export interface ObjectClocks {
  readonly kind: ObjectKind;
  readonly name: string;
  readonly clocks: Map<NodeId, Clock>;
}

/**
 * Everything a digest says about one channel: per object id (`m:`/`s:` + name), per writer, a
 * clock. Peers remember the last set they sent each other, so a later digest can name its
 * base by hash and carry only the clocks that moved since: the cost of a digest then follows
 * what changed, not how many writers ever wrote.
 */
export type ClockSet = Map<string, ObjectClocks>;

/** The object id of a digest object. */
export function digestObjectId(object: { kind: ObjectKind; name: string }): string {
  return `${object.kind === 'map' ? 'm' : 's'}:${object.name}`;
}

/** The per-writer clocks `set` holds for `object`, added empty when it holds none yet. */
export function objectClocks(set: ClockSet, object: { kind: ObjectKind; name: string }): Map<NodeId, Clock> {
  const id = digestObjectId(object);
  let entry = set.get(id);
  if (entry === undefined) {
    entry = { kind: object.kind, name: object.name, clocks: new Map() };
    set.set(id, entry);
  }
  return entry.clocks;
}

/** Folds digest objects (full or partial, in any number of chunks) into `set`. */
export function addDigestObjects(set: ClockSet, objects: readonly ObjectDigest[]): void {
  for (const object of objects) {
    const clocks = objectClocks(set, object);
    for (const [writer, clock] of object.clocks) clocks.set(writer, clock);
  }
}

/**
 * What a replica that does not hold an object lacks by a peer's clocks of it: every stream
 * entry the peer counts, and every map writer the peer has a clock for.
 */
export function lackingAll(clocks: ReadonlyArray<readonly [NodeId, Clock]>): Lacking {
  let entries = 0;
  let writers = 0;
  for (const [, clock] of clocks) {
    if ('seq' in clock) entries += clock.seq;
    else if (clock.wall > 0 || clock.counter > 0 || clock.parts !== undefined) writers++;
  }
  return { entries, writers };
}

/** A deep copy of `set`. */
export function copyClockSet(set: ClockSet): ClockSet {
  const copy: ClockSet = new Map();
  for (const [id, object] of set) copy.set(id, { ...object, clocks: new Map(object.clocks) });
  return copy;
}

/**
 * The clocks of `current` that differ from `base`, as digest objects; undefined when a clock
 * of `base` is missing from `current` (a reset after a stale refresh), which a partial digest
 * cannot express.
 */
export function clockChanges(current: ClockSet, base: ClockSet): ObjectDigest[] | undefined {
  const changes: ObjectDigest[] = [];
  for (const [id, object] of base) {
    const now = current.get(id);
    for (const writer of object.clocks.keys()) if (now?.clocks.has(writer) !== true) return undefined;
  }
  for (const [id, object] of current) {
    const before = base.get(id)?.clocks;
    const moved: [NodeId, Clock][] = [];
    for (const [writer, clock] of object.clocks) {
      const old = before?.get(writer);
      if (old === undefined || !sameClock(old, clock)) moved.push([writer, clock]);
    }
    if (moved.length > 0 || before === undefined) {
      changes.push({ kind: object.kind, name: object.name, from: '', to: null, clocks: moved });
    }
  }
  return changes;
}

/** The set as full digest objects, sorted by object id then writer. */
export function toDigestObjects(set: ClockSet): ObjectDigest[] {
  return [...set.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, object]) => ({
      kind: object.kind,
      name: object.name,
      from: '',
      to: null,
      clocks: [...object.clocks].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    }));
}

/** An 8-byte fingerprint of the whole set (SHA-256 of its canonical encoding). */
export function hashClockSet(set: ClockSet): Uint8Array {
  const writer = new ByteWriter(256);
  for (const object of toDigestObjects(set)) {
    writer.writeString(digestObjectId(object)).writeVarint(object.clocks.length);
    for (const [id, clock] of object.clocks) {
      writer.writeString(id);
      if ('seq' in clock) writeStreamClock(writer, clock);
      else writeMapClock(writer, clock);
    }
  }
  return sha256(writer.finish()).subarray(0, 8);
}

function sameClock(a: Clock, b: Clock): boolean {
  if ('seq' in a || 'seq' in b) {
    if (!('seq' in a && 'seq' in b) || a.seq !== b.seq) return false;
    return a.chain === undefined || b.chain === undefined ? a.chain === b.chain : sameChain(a.chain, b.chain);
  }
  if (a.wall !== b.wall || a.counter !== b.counter) return false;
  const x = a.parts;
  const y = b.parts;
  if (x === undefined || y === undefined) return x === y;
  return (
    x.version.wall === y.version.wall && x.version.counter === y.version.counter && bytesEqual(x.done, y.done)
  );
}
