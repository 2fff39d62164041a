import { Hlc } from '../clock/hlc.js';
import { ErrorCode, ShoalError } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { isSelfCertifyingId } from '../ids/self-certifying-id.js';
import { Membership } from '../membership/membership.js';
import { WriteQueue } from '../persistence/write-queue.js';
import { fflateCompression } from '../ports/compression.js';
import { cryptoRandom } from '../ports/crypto-random.js';
import type { KeyValueStore } from '../ports/key-value-store.js';
import type { MessagePort } from '../ports/message-port.js';
import type { RandomPort } from '../ports/random-port.js';
import { nobleSha256 } from '../ports/sha256.js';
import { nobleEd25519 } from '../ports/signer.js';
import { MessageType } from '../protocol/message-type.js';
import { decodeDelta, decodeDigest } from '../protocol/sync-codec.js';
import { MessageSealer } from '../security/message-sealer.js';
import { PeerKeys } from '../security/peer-keys.js';
import { readsSynchronously, type SyncReadStore } from '../sync/stored-entries.js';
import { ChannelRegistry } from './channel-registry.js';
import type { CoordinatorConfig } from './config.js';
import { Courier } from './courier.js';
import { EpochNotices } from './epoch-notices.js';
import { ErrorReporter } from './error-reporter.js';
import type { EventStream } from './event-stream.js';
import type { NodeContext } from './node-context.js';
import { incarnationOperation, nodeMetaOperations } from './node-meta.js';
import { NodeReports } from './node-reports.js';
import type { NodeSetup } from './node-setup.js';
import type { CoordinatorOptions, NodeEvent, NodeState } from './node-types.js';
import { PeerDirectory } from './peer-directory.js';
import { PeerKeysKeeper } from './peer-keys-keeper.js';
import { type MembershipService, PeerListMembership } from './peer-list-membership.js';
import { PeerMemoryKeeper } from './peer-memory.js';
import type { StateKeeper } from './periodic-save.js';
import { PROFILES } from './profiles.js';
import { ReplayFloorKeeper } from './replay-floors.js';
import { SyncEngine } from './sync-engine.js';
import { TombstoneHorizon } from './tombstone-horizon.js';

/** What the facade lends the subsystems: its event stream and its lifecycle state. */
export interface NodeHooks {
  /** The node's public `events`: peer, membership and key-rotation events are emitted on it. */
  readonly events: EventStream<NodeEvent>;
  readonly state: () => NodeState;
  /** Throws `CLOSED` once the node is disposed. */
  readonly assertOpen: () => void;
}

/** A node's subsystems, wired to each other: what the facade drives and reports on. */
export interface NodeParts {
  readonly id: NodeId;
  readonly publicKey: Uint8Array;
  readonly ports: readonly MessagePort[];
  readonly storage: KeyValueStore;
  readonly config: CoordinatorConfig;
  readonly errors: ErrorReporter;
  readonly sealer: MessageSealer;
  /** This node's identity and its peers' keys; absent in open mode (nothing to pair-seal). */
  readonly keys: PeerKeys | undefined;
  readonly writes: WriteQueue;
  readonly courier: Courier;
  readonly peers: PeerDirectory;
  readonly membership: MembershipService;
  readonly engine: SyncEngine;
  readonly horizon: TombstoneHorizon;
  /** State kept across restarts: replay floors, peer memory, and peer keys when sealed. */
  readonly keepers: readonly StateKeeper[];
  readonly channels: ChannelRegistry;
  readonly reports: NodeReports;
  /** Stops forwarding the keyring's rotations to `events` (a no-op in open mode). */
  readonly unsubscribeKeyring: () => void;
}

/**
 * Builds every subsystem of a node from its checked `setup` and connects their callbacks: the
 * one place that knows who talks to whom, so no subsystem knows another's class or the facade.
 * Nothing is started, listened to or sent: the facade's lifecycle does that. Subsystems are
 * created in a fixed order, and callbacks reach subsystems created later only once they run,
 * which is after this returns.
 */
export function assembleNode(options: CoordinatorOptions, setup: NodeSetup, hooks: NodeHooks): NodeParts {
  const { config, meta, ports, storage } = setup;
  const { timers } = options;
  const { events } = hooks;
  const random = options.random ?? cryptoRandom;
  const id = meta.id;
  const signer = options.signer ?? nobleEd25519;
  const publicKey = signer.publicKey(meta.identityKey);
  let changeSeq = meta.changeSeq;
  const errors = new ErrorReporter(timers, config.errorRateLimit);
  const hlc = new Hlc({ wallClock: () => timers.now(), maxDrift: config.maxDrift, last: meta.hlc });
  const keys =
    setup.keyring === 'open' ? undefined : new PeerKeys(meta.identityKey, () => timers.monotonic());
  const sealer = new MessageSealer({
    networkId: config.network,
    self: id,
    epoch: meta.epoch,
    keyring: setup.keyring,
    ...(keys === undefined ? {} : { identity: keys }),
    now: () => timers.monotonic(),
    ...(options.aead === undefined ? {} : { aead: options.aead }),
  });
  // Every batch also stores the clock and the change sequence, so a restart resumes both.
  const writes = new WriteQueue(
    storage,
    (error) => errors.report(error),
    () => nodeMetaOperations(hlc.last, changeSeq),
  );
  const context: NodeContext = {
    self: id,
    hlc,
    config,
    writes,
    entryStore: config.mapEntries === 'store' ? syncReadStore(storage) : undefined,
    nextChangeSeq: () => ++changeSeq,
    pushLocal: (channel, plan) => engine.pushLocal(channel, plan),
    canPush: (channel) => engine.canPush(channel),
    sendPlan: (peer, channel, plan) => engine.sendPlan(peer, channel, plan),
    reportError: (error) => errors.report(error),
    keyOf: (peer) => keys?.sealingPublicKey(peer),
    authorKey: (author) => {
      if (author === id) return publicKey;
      if (keys === undefined) return undefined;
      const proven = keys.publicKeyOf(author);
      if (proven !== undefined || isSelfCertifyingId(author)) return proven;
      return membership.aliveMembers().includes(author) ? 'awaited' : undefined;
    },
    sign: (message) => signer.sign(meta.identityKey, message),
    verify: (key, message, signature) => signer.verify(key, message, signature),
    sha256: options.sha256 ?? nobleSha256,
    publicKey,
    assertOpen: hooks.assertOpen,
  };
  const channels = new ChannelRegistry({
    context,
    storage,
    syncStatus: (channel) => engine.syncStatus(channel),
  });
  const peers = new PeerDirectory({
    self: id,
    ports,
    maxPeers: config.limits.maxPeers,
    members: () => membership.members(),
    up: (peer) => {
      membership.addSeed(peer);
      courier.introduce(peer);
      events.emit({ type: 'peer-up', peer });
      engine.peerUp();
    },
    down: (peer) => events.emit({ type: 'peer-down', peer }),
  });
  const courier = new Courier({
    sealer,
    keys,
    compression: options.compression ?? fflateCompression,
    timers,
    config,
    errors,
    ports,
    portFor: (peer) => peers.portFor(peer),
    takePiggyback: (maxBytes) => membership.takePiggyback(maxBytes),
    handlePiggyback: (from, bytes) => membership.handlePiggyback(from, bytes),
    authenticated: (from, port, source) => {
      peers.heard(from, port, source);
      membership.noteAlive(from);
    },
    staleEpoch: (from, knownEpoch) => epochNotices.tell(from, knownEpoch),
  });
  const membership = createMembership(options, setup, { random, courier, peers, writes });
  membership.onEvent((event) => {
    events.emit(event as NodeEvent);
    // A member (re)appeared: a round now serves it instead of at the next interval.
    if (event.type === 'joined' || event.type === 'alive') engine.peerUp();
  });
  const horizon = new TombstoneHorizon({ timers, config, writes, channels: channels.states });
  const replayFloors = new ReplayFloorKeeper(sealer, writes, timers);
  const unsubscribeKeyring =
    setup.keyring === 'open'
      ? () => {}
      : setup.keyring.onChange((change) => events.emit({ type: 'key-rotation', ...change }));
  // Typed explicitly: the engine and the channel registry refer to each other, which inference cannot follow.
  const engine: SyncEngine = new SyncEngine({
    self: id,
    channels: channels.states,
    timers,
    random,
    config,
    peers: () => peers.live(),
    members: () => membership.aliveMembers(),
    leaf: options.membership !== false && options.membership?.leaf === true,
    sendDigest: (to, body) => courier.send(to, MessageType.Digest, body),
    sendDelta: (to, body) => courier.send(to, MessageType.Delta, body),
    budget: () => courier.bodyBudget(),
    deltaBudget: () => courier.deltaBudget(),
    calibrateDeltas: (body) => courier.calibrateDeltas(body),
    isFresh: (channel) => horizon.isFresh(channel),
    meetPeer: (channel, peerFresh) => horizon.meet(channel, peerFresh),
    afterPull: (channel, peerFresh) => horizon.pulled(channel, peerFresh),
    unknownChannel: (name) => channels.joinOnDemand(name),
    report: (error) => errors.report(error),
  });
  const peerMemory = new PeerMemoryKeeper(engine.memory, writes, timers);
  const epochNotices = new EpochNotices({
    timers,
    maxPeers: config.limits.maxPeers,
    sealer,
    writes,
    courier,
    errors,
  });
  // A sync message names its own sender and receiver in one byte each; the codecs expand them.
  const between = (from: NodeId) => ({ sender: from, receiver: id });
  courier.on(MessageType.Digest, (from, body) => {
    const digest = decodeDigest(body, between(from));
    if (digest.ok) engine.handleDigest(from, digest.value);
    else courier.badMessage(from, digest.error);
  });
  courier.on(MessageType.Delta, (from, body) => {
    const delta = decodeDelta(body, between(from));
    if (delta.ok) engine.handleDelta(from, delta.value);
    else courier.badMessage(from, delta.error);
  });
  courier.on(MessageType.Membership, (from, body) => membership.handleMessage(from, body));
  courier.on(MessageType.EpochNotice, (from, body) => epochNotices.handle(from, body));
  const reports = new NodeReports({
    id,
    state: hooks.state,
    errors,
    sealer,
    peers,
    courier,
    membership,
    engine,
    writes,
    storage,
    channels: channels.states,
  });
  return {
    id,
    publicKey,
    ports,
    storage,
    config,
    errors,
    sealer,
    keys,
    writes,
    courier,
    peers,
    membership,
    engine,
    horizon,
    keepers: [
      replayFloors,
      peerMemory,
      ...(keys === undefined ? [] : [new PeerKeysKeeper(keys, writes, timers)]),
    ],
    channels,
    reports,
    unsubscribeKeyring,
  };
}

/** SWIM unless `membership: false`, then the transports' peer list. */
function createMembership(
  options: CoordinatorOptions,
  { meta, ports }: NodeSetup,
  deps: { random: RandomPort; courier: Courier; peers: PeerDirectory; writes: WriteQueue },
): MembershipService {
  const { courier, peers, writes } = deps;
  if (options.membership === false) return new PeerListMembership(meta.id, (peer) => peers.has(peer));
  const localAddress = ports.find((port) => port.localAddress !== undefined)?.localAddress;
  return new Membership({
    self: meta.id,
    timers: options.timers,
    random: deps.random,
    send: (to, body) => courier.send(to, MessageType.Membership, body),
    config: PROFILES[options.profile ?? 'lan'].membership(options.membership),
    incarnation: meta.incarnation,
    // Persisted before it is announced, so a restart never goes back below an incarnation peers saw.
    onIncarnation: (incarnation) => {
      writes.write(incarnationOperation(incarnation)).catch(() => {});
    },
    ...(localAddress === undefined ? {} : { localAddress }),
    onAddress: (peer, address) => peers.learnAddress(peer, address),
  });
}

/** `storage` as a store maps may be kept in; `INVALID_ARGUMENT` when it cannot read synchronously. */
function syncReadStore(storage: KeyValueStore): SyncReadStore {
  if (readsSynchronously(storage)) return storage;
  throw new ShoalError(
    ErrorCode.InvalidArgument,
    "config.mapEntries 'store' needs a storage that reads synchronously (getSync and scanSync), such as LmdbStore or MemoryStore",
    { details: { option: 'mapEntries' } },
  );
}
