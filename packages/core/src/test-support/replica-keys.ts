import { encodeValue } from '../codec/encode-value.js';
import type { Value } from '../crdt/value.js';
import type { NodeId } from '../ids/node-id.js';
import { nobleEd25519 } from '../ports/signer.js';
import { mapSetMessage } from '../security/map-set-proofs.js';
import { bytesEqual } from '../storage/bytes.js';
import type { MapReplica } from '../sync/map-replica.js';
import type { SetCheck } from '../sync/verified-sets.js';

/**
 * Ed25519 keys for test writers of one map (writer `i` of `writers` gets the secret of 32 bytes
 * `i + 1`), and the check a node makes of their set signatures: the writer's own key, and a
 * valid signature over the root.
 */
export function replicaKeys(map: string, writers: readonly NodeId[]) {
  const secrets = new Map(writers.map((id, i): [NodeId, Uint8Array] => [id, new Uint8Array(32).fill(i + 1)]));
  const publicKeys = new Map(
    [...secrets].map(([id, secret]): [NodeId, Uint8Array] => [id, nobleEd25519.publicKey(secret)]),
  );
  const check: SetCheck = (writer, signed, root) => {
    const key = publicKeys.get(writer);
    return (
      key !== undefined &&
      bytesEqual(signed.publicKey, key) &&
      nobleEd25519.verify(key, mapSetMessage(map, writer, signed.version, root), signed.signature)
    );
  };
  return { secrets, publicKeys, check };
}

/** The digest of a value as its encoded bytes travel (a tombstone's for `undefined`). */
export function digestOfValue(replica: MapReplica, value: Value | undefined): Uint8Array {
  if (value === undefined) return replica.digestOf(undefined);
  const bytes = encodeValue(value);
  return replica.digestOf(bytes, 0, bytes.length);
}
