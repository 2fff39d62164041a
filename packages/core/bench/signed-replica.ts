import { sha256 } from '@noble/hashes/sha2.js';
import type { Timestamp } from '../src/clock/timestamp.js';
import { encodeValue } from '../src/codec/encode-value.js';
import type { MapEntry } from '../src/crdt/lww-map.js';
import type { NodeId } from '../src/ids/node-id.js';
import { nobleEd25519 } from '../src/ports/signer.js';
import { mapSetMessage } from '../src/security/map-set-proofs.js';
import { MapReplica } from '../src/sync/map-replica.js';

/**
 * A replica holding `entries` of map `map` as their writers' signed sets (ADR 0058): each
 * writer's set signed with a key made from its id, as a node that wrote them would hold them.
 */
export function signedReplica(entries: readonly MapEntry[], map: string): MapReplica {
  const replica = new MapReplica();
  const versions = new Map<NodeId, Timestamp>();
  for (const entry of entries) {
    replica.map.apply(entry);
    const bytes = entry.value === undefined ? undefined : encodeValue(entry.value);
    const digest = replica.digestOf(bytes, 0, bytes?.length ?? 0);
    replica.sets.load(entry.writer, { key: entry.key, wall: entry.wall, counter: entry.counter, digest });
    const held = versions.get(entry.writer);
    if (
      held === undefined ||
      held.wall < entry.wall ||
      (held.wall === entry.wall && held.counter < entry.counter)
    )
      versions.set(entry.writer, { wall: entry.wall, counter: entry.counter });
  }
  for (const [writer, version] of versions) {
    const secretKey = sha256(new TextEncoder().encode(writer));
    const root = replica.sets.setOf(writer)?.root() ?? new Uint8Array(32);
    replica.ownSigned(writer, {
      version,
      signature: nobleEd25519.sign(secretKey, mapSetMessage(map, writer, version, root)),
      publicKey: nobleEd25519.publicKey(secretKey),
    });
  }
  return replica;
}
