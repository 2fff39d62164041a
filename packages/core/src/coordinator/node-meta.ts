import { randomBytes } from '@noble/hashes/utils.js';
import { type Timestamp, ZERO_TIMESTAMP } from '../clock/timestamp.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import { isNodeId, type NodeId, parseNodeId } from '../ids/node-id.js';
import { selfCertifyingId } from '../ids/self-certifying-id.js';
import {
  decodeCounterRecord,
  decodeTimestampRecord,
  encodeCounterRecord,
  encodeTimestampRecord,
} from '../persistence/records.js';
import { nodeMetaKey } from '../persistence/storage-keys.js';
import type { BatchOperation, KeyValueStore } from '../ports/key-value-store.js';
import { SIGNING_SECRET_KEY_BYTES } from '../ports/signer.js';
import type { DecodeResult } from '../wire/byte-reader.js';

/** What a node persists about itself, so a restarted node is the same node. */
export interface NodeMeta {
  readonly id: NodeId;
  /** Boot counter, incremented and made durable on every create: seals never repeat. */
  readonly epoch: number;
  /** The HLC high-water mark: no timestamp at or below it is ever issued again. */
  readonly hlc: Timestamp;
  /** The last SWIM incarnation used. */
  readonly incarnation: number;
  /** The last change sequence number (the `watch()` cursor) handed out. */
  readonly changeSeq: number;
  /**
   * This node's Ed25519 secret key (an RFC 8032 seed): drawn from the platform CSPRNG with the
   * store, kept with it, and drawn anew for a copy opened under a new identity.
   */
  readonly identityKey: Uint8Array;
}

const KEYS = {
  id: nodeMetaKey('id'),
  epoch: nodeMetaKey('epoch'),
  hlc: nodeMetaKey('hlc'),
  incarnation: nodeMetaKey('incarnation'),
  changeSeq: nodeMetaKey('change-seq'),
  identityKey: nodeMetaKey('identity-key'),
};

/**
 * Loads this node's identity from `store` (or creates it), bumps the boot epoch and makes that
 * durable before returning. A new node (or a copy under a new identity) without a requested id
 * gets the self-certifying id of its new key (`publicKeyOf` derives the public half). Throws
 * {@link ShoalError} `INVALID_ARGUMENT` when `requestedId` differs from the id the store belongs
 * to, `CORRUPT_DATA` when a record does not decode.
 */
export async function loadNodeMeta(
  store: KeyValueStore,
  requestedId: string | undefined,
  publicKeyOf: (secretKey: Uint8Array) => Uint8Array,
  newIdentity = false,
): Promise<NodeMeta> {
  const wanted = requestedId === undefined ? undefined : parseNodeId(requestedId);
  const storedIdBytes = await store.get(KEYS.id);
  const storedId = storedIdBytes === undefined ? undefined : new TextDecoder().decode(storedIdBytes);
  if (storedId !== undefined && !isNodeId(storedId)) corrupt('node id');
  if (newIdentity) {
    // A copy under a new id: the clock's high-water mark stays (it vouches for every write the
    // store holds); the boot epoch, incarnation and seals start over, as for any new node.
    const hlc = (await readRecord(store, KEYS.hlc, decodeTimestampRecord, 'clock')) ?? ZERO_TIMESTAMP;
    const identityKey = randomBytes(SIGNING_SECRET_KEY_BYTES);
    const id =
      wanted !== undefined && wanted !== storedId ? wanted : selfCertifyingId(publicKeyOf(identityKey));
    const changeSeq = (await readRecord(store, KEYS.changeSeq, decodeCounterRecord, 'change counter')) ?? 0;
    const meta: NodeMeta = { id, epoch: 1, hlc, incarnation: 0, changeSeq, identityKey };
    await store.batch([
      { type: 'put', key: KEYS.id, value: new TextEncoder().encode(id) },
      { type: 'put', key: KEYS.epoch, value: encodeCounterRecord(meta.epoch) },
      { type: 'put', key: KEYS.identityKey, value: identityKey },
      { type: 'delete', key: KEYS.incarnation },
    ]);
    return meta;
  }
  if (storedId !== undefined && wanted !== undefined && storedId !== wanted) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `this storage belongs to node ${storedId}, not ${wanted}: use another storage, omit the id, or pass newIdentity to open a copy as a node of its own`,
    );
  }
  const epoch = (await readRecord(store, KEYS.epoch, decodeCounterRecord, 'epoch')) ?? 0;
  const storedKey = await store.get(KEYS.identityKey);
  if (storedKey !== undefined && storedKey.length !== SIGNING_SECRET_KEY_BYTES) corrupt('identity key');
  // A store from before identity keys (or a new one) gets its key now, with the epoch below.
  const identityKey = storedKey?.slice() ?? randomBytes(SIGNING_SECRET_KEY_BYTES);
  // A new node's id is derived from its key (ADR 0055); a store keeps the id it has.
  const id = (storedId as NodeId | undefined) ?? wanted ?? selfCertifyingId(publicKeyOf(identityKey));
  const meta: NodeMeta = {
    id,
    epoch: epoch + 1,
    hlc: (await readRecord(store, KEYS.hlc, decodeTimestampRecord, 'clock')) ?? ZERO_TIMESTAMP,
    incarnation: (await readRecord(store, KEYS.incarnation, decodeCounterRecord, 'incarnation')) ?? 0,
    changeSeq: (await readRecord(store, KEYS.changeSeq, decodeCounterRecord, 'change counter')) ?? 0,
    identityKey,
  };
  await store.batch([
    { type: 'put', key: KEYS.id, value: new TextEncoder().encode(id) },
    { type: 'put', key: KEYS.epoch, value: encodeCounterRecord(meta.epoch) },
    ...(storedKey === undefined ? [{ type: 'put' as const, key: KEYS.identityKey, value: identityKey }] : []),
  ]);
  return meta;
}

/** The records that keep the clock and change counter durable; appended to every write batch. */
export function nodeMetaOperations(hlc: Timestamp, changeSeq: number): BatchOperation[] {
  return [
    { type: 'put', key: KEYS.hlc, value: encodeTimestampRecord(hlc) },
    { type: 'put', key: KEYS.changeSeq, value: encodeCounterRecord(changeSeq) },
  ];
}

/** The record of the boot epoch (raised past a stale one a peer reported). */
export function epochOperation(epoch: number): BatchOperation {
  return { type: 'put', key: KEYS.epoch, value: encodeCounterRecord(epoch) };
}

/** The record of the SWIM incarnation. */
export function incarnationOperation(incarnation: number): BatchOperation {
  return { type: 'put', key: KEYS.incarnation, value: encodeCounterRecord(incarnation) };
}

async function readRecord<T>(
  store: KeyValueStore,
  key: Uint8Array,
  decode: (bytes: Uint8Array) => DecodeResult<T>,
  what: string,
): Promise<T | undefined> {
  const bytes = await store.get(key);
  if (bytes === undefined) return undefined;
  const decoded = decode(bytes);
  return decoded.ok ? decoded.value : corrupt(what);
}

function corrupt(what: string): never {
  throw new ShoalError(ErrorCode.CorruptData, `stored ${what} of this node is corrupt`);
}
