import { ManualTimers } from '@shoal/testkit';
import { SimulatedNetwork } from '@shoal/transport-memory';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../clock/timestamp.js';
import { ErrorCode } from '../errors/shoal-error.js';
import type { NodeId } from '../ids/node-id.js';
import { isSelfCertifyingId, selfCertifyingId } from '../ids/self-certifying-id.js';
import { nodeMetaKey } from '../persistence/storage-keys.js';
import type { MessagePort } from '../ports/message-port.js';
import { nobleEd25519 } from '../ports/signer.js';
import { decodeEnvelope } from '../protocol/envelope.js';
import { MessageType } from '../protocol/message-type.js';
import { MessageSealer } from '../security/message-sealer.js';
import { generateSecret } from '../security/network-secret.js';
import { MemoryStore } from '../storage/memory-store.js';
import type { Coordinator } from './coordinator.js';
import { createNode } from './create-node.js';
import type { MapWatchEvent } from './shared-map.js';

/** Message types (and piggyback sizes) of everything `port` sends, read from open-mode envelopes. */
function recordTypes(port: MessagePort, self: string): { type: number; piggyback: number }[] {
  const seen: { type: number; piggyback: number }[] = [];
  const sealer = new MessageSealer({
    networkId: 'shoal',
    self: 'observer' as NodeId,
    epoch: 1,
    keyring: 'open',
  });
  const send = port.send.bind(port);
  port.send = (to, bytes) => {
    const opened = sealer.open(bytes, self as NodeId);
    const envelope = opened.ok ? decodeEnvelope(opened.body) : undefined;
    if (envelope?.ok) seen.push({ type: envelope.value.type, piggyback: envelope.value.piggyback.length });
    send(to, bytes);
  };
  return seen;
}

async function pair(options: { membership?: false; seed?: number } = {}) {
  const net = new SimulatedNetwork({ seed: options.seed ?? 11, latency: { min: 1, max: 5 } });
  const nodes: Coordinator[] = [];
  let sentByA: { type: number; piggyback: number }[] = [];
  for (const id of ['node-a', 'node-b']) {
    const ports = net.nodePorts(id);
    const types = recordTypes(ports.port, id);
    if (id === 'node-a') sentByA = types;
    nodes.push(
      await createNode({
        id,
        ...ports,
        ...(options.membership === false ? { membership: false as const } : {}),
      }),
    );
  }
  return {
    net,
    a: nodes[0] as Coordinator,
    b: nodes[1] as Coordinator,
    sentByA,
  };
}

describe('typed maps and entries', () => {
  it('getEntry returns value, version, writer and deletes', async () => {
    const { a } = await pair();
    const settings = (await a.channel('home')).map<{ on: boolean }>('settings');
    expect(settings.getEntry('lights')).toBeUndefined();
    await settings.set('lights', { on: true });
    const entry = settings.getEntry('lights');
    expect(entry).toMatchObject({ value: { on: true }, writer: 'node-a', deleted: false });
    expect(entry?.version.writer).toBe('node-a');
    await settings.delete('lights');
    const deleted = settings.getEntry('lights');
    expect(deleted).toMatchObject({ value: undefined, deleted: true, writer: 'node-a' });
    expect(compareVersions(deleted!.version, entry!.version)).toBeGreaterThan(0);
  });
});

describe('callbacks beside watch()', () => {
  it('on(change) and onKey see local and remote changes; unsubscribe stops them', async () => {
    const { net, a, b } = await pair();
    const mapA = (await a.channel('c')).map('m');
    const mapB = (await b.channel('c')).map('m');
    const all: MapWatchEvent[] = [];
    const lights: MapWatchEvent[] = [];
    const off = mapB.on('change', (change) => all.push(change));
    mapB.onKey('lights', (change) => lights.push(change));
    await mapA.set('lights', 1);
    await mapA.set('door', 'open');
    expect(await net.runUntil(() => mapB.get('lights') === 1, { timeout: 5000 })).toBe(true);
    await mapB.set('lights', 2);
    expect(
      await net.runUntil(() => mapA.get('lights') === 2 && mapB.get('door') === 'open', { timeout: 5000 }),
    ).toBe(true);
    expect(lights.map((change) => [change.value, change.local])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(all.map((change) => change.key).sort()).toEqual(['door', 'lights', 'lights']);
    off();
    await mapB.set('x', 1);
    expect(all.some((change) => change.key === 'x')).toBe(false);
  });

  it('a listener that throws is reported and does not stop the write or other listeners', async () => {
    const { a } = await pair();
    const map = (await a.channel('c')).map('m');
    const errors: string[] = [];
    a.errors.subscribe((error) => errors.push(error.code));
    const seen: unknown[] = [];
    map.on('change', () => {
      throw new Error('app bug');
    });
    map.on('change', (change) => seen.push(change.value));
    await map.set('k', 1);
    expect(map.get('k')).toBe(1);
    expect(seen).toEqual([1]);
    expect(errors).toContain(ErrorCode.ListenerFailed);
  });

  it('stream on(entry) sees appends with their origin', async () => {
    const { a } = await pair();
    const ch = await a.channel('c');
    const log = ch.stream('log');
    const origins: (string | undefined)[] = [];
    log.on('entry', (event) => origins.push(event.origin));
    await log.append(Uint8Array.of(1));
    await ch.transact(() => void log.append(Uint8Array.of(2)), { origin: 'ui' });
    expect(origins).toEqual([undefined, 'ui']);
  });
});

describe('transact', () => {
  it('applies many writes across maps and streams at once, in one batch, with the origin', async () => {
    const { net, a, b } = await pair();
    const ch = await a.channel('c');
    const map = ch.map('m');
    const other = ch.map('n');
    const log = ch.stream('s');
    const seen: [string, string | undefined][] = [];
    map.on('change', (change) => seen.push([change.key, change.origin]));
    other.on('change', (change) => seen.push([change.key, change.origin]));
    const done = ch.transact(
      () => {
        void map.set('a', 1);
        void other.set('b', 2);
        void log.append(Uint8Array.of(9));
        // Reads inside the function see the state before the transaction.
        expect(map.has('a')).toBe(false);
      },
      { origin: 'ui' },
    );
    // Applied together when the function returned, before durability.
    expect(map.get('a')).toBe(1);
    expect(other.get('b')).toBe(2);
    expect(log.size).toBe(1);
    await done;
    expect(seen).toEqual([
      ['a', 'ui'],
      ['b', 'ui'],
    ]);
    const mapB = (await b.channel('c')).map('m');
    expect(await net.runUntil(() => mapB.get('a') === 1, { timeout: 5000 })).toBe(true);
  });

  it('applies nothing when the function throws or a write in it is bad', async () => {
    const { a } = await pair();
    const ch = await a.channel('c');
    const map = ch.map('m');
    await expect(
      ch.transact(() => {
        void map.set('a', 1);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await expect(
      ch.transact(() => {
        void map.set('a', 1);
        void map.set('b', (() => 0) as never);
      }),
    ).rejects.toMatchObject({ code: ErrorCode.UnsupportedValue });
    await expect(ch.transact((async () => map.set('a', 1)) as never)).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
    expect(map.size).toBe(0);
  });

  it('refuses, whole, a transaction that would break the key limit', async () => {
    const net = new SimulatedNetwork({ seed: 3 });
    const node = await createNode({
      id: 'solo',
      ...net.nodePorts('solo'),
      config: { limits: { maxKeysPerChannel: 3 } },
    });
    const ch = await node.channel('c');
    const map = ch.map('m');
    await map.set('a', 1);
    await expect(
      ch.transact(() => {
        for (const key of ['b', 'c', 'd']) void map.set(key, 1);
      }),
    ).rejects.toMatchObject({ code: ErrorCode.LimitExceeded });
    expect([...map.keys()]).toEqual(['a']);
    await ch.transact(() => {
      void map.set('b', 1);
      void map.set('b', 2);
      void map.set('c', 1);
    });
    expect(map.get('b')).toBe(2);
    // Full: overwriting keys it holds adds none, so it still passes.
    await ch.transact(() => {
      void map.set('a', 2);
      void map.set('c', 2);
    });
    expect(map.get('a')).toBe(2);
  });

  it('a full channel refuses new keys, written here or merged from a peer, and takes overwrites', async () => {
    const net = new SimulatedNetwork({ seed: 8, latency: 2 });
    const full = await createNode({
      id: 'full',
      ...net.nodePorts('full'),
      config: { limits: { maxKeysPerChannel: 2 } },
    });
    const writer = await createNode({ id: 'writer', ...net.nodePorts('writer') });
    const errors: string[] = [];
    full.errors.subscribe((error) => errors.push(error.code));
    const map = (await full.channel('c')).map('m');
    await map.set('a', 1);
    await map.set('b', 1);
    await expect(map.set('c', 1)).rejects.toMatchObject({ code: ErrorCode.LimitExceeded });
    await map.set('a', 2);
    const theirs = (await writer.channel('c')).map('m');
    // Later than this node's writes, so the peer's overwrite of `b` wins here.
    await net.runFor(1000);
    await theirs.set('b', 3);
    await theirs.set('d', 3);
    expect(await net.runUntil(() => map.get('b') === 3, { timeout: 10_000 })).toBe(true);
    await net.runFor(2000);
    expect(Object.fromEntries(map.entries())).toEqual({ a: 2, b: 3 });
    expect(errors).toContain(ErrorCode.LimitExceeded);
  });

  it("stores each write's own bytes, what the replica holds, when a value's getter writes inside the transaction", async () => {
    const storage = new MemoryStore();
    const first = await createNode({
      id: 'solo',
      ...new SimulatedNetwork({ seed: 5 }).nodePorts('solo'),
      storage,
    });
    const ch = await first.channel('c');
    const map = ch.map('m');
    // The getter runs once, while the outer value is encoded and copied: its write appends its
    // bytes to the transaction's log ahead of the outer's, and its answer changes per read.
    let reads = 0;
    const outer = {
      get label() {
        void map.set(`inner-${reads}`, 'x'.repeat(20 + reads));
        return `outer-${reads++}`;
      },
    };
    await ch.transact(() => {
      void map.set('before', 'b');
      void map.set('outer', outer as never);
      void map.set('after', [1, 2, 3]);
    });
    // The same outside a transaction: the inner write's record is made while the outer value
    // is read, from the scratch the outer one then writes to.
    const plain = {
      get label() {
        void map.set('inner-plain', 'y'.repeat(30));
        return `plain-${reads++}`;
      },
    };
    await map.set('plain', plain as never);
    expect(reads).toBe(2);
    expect(Object.fromEntries(map.entries())).toEqual({
      before: 'b',
      outer: { label: 'outer-0' },
      after: [1, 2, 3],
      'inner-0': 'x'.repeat(20),
      plain: { label: 'plain-1' },
      'inner-plain': 'y'.repeat(30),
    });
    // What was persisted decodes to what was applied.
    const copy = new MemoryStore();
    for await (const [key, value] of storage.scan(new Uint8Array())) await copy.put(key, value);
    await first.dispose({ leave: false });
    const second = await createNode({
      id: 'solo',
      ...new SimulatedNetwork({ seed: 5 }).nodePorts('solo'),
      storage: copy,
    });
    const reopened = (await second.channel('c')).map('m');
    expect(Object.fromEntries(reopened.entries())).toEqual(Object.fromEntries(map.entries()));
    await second.dispose({ leave: false });
  });
});

describe('stream limits', () => {
  it('refuses an append beyond maxStreamEntries, changing nothing', async () => {
    const net = new SimulatedNetwork({ seed: 3 });
    const node = await createNode({
      id: 'solo',
      ...net.nodePorts('solo'),
      config: { limits: { maxStreamEntries: 2 } },
    });
    const log = (await node.channel('c')).stream('s');
    await log.append(Uint8Array.of(1));
    await log.append(Uint8Array.of(2));
    await expect(log.append(Uint8Array.of(3))).rejects.toMatchObject({ code: ErrorCode.LimitExceeded });
    expect(log.size).toBe(2);
  });
});

describe('export and import', () => {
  it('a snapshot merges into another node, never replacing newer writes', async () => {
    const net = new SimulatedNetwork({ seed: 5 });
    const a = await createNode({ id: 'a', ...net.nodePorts('a') });
    const ch = await a.channel('c');
    await ch.map('m').set('x', 1);
    await ch.map('m').set('gone', 1);
    await ch.map('m').delete('gone');
    await ch.stream('s').append(Uint8Array.of(1, 2));
    const snapshot = await ch.export();
    net.partition(['a'], ['b']);
    const b = await createNode({ id: 'b', ...net.nodePorts('b') });
    const chB = await b.channel('copy');
    await chB.map('m').set('x', 2); // newer than the snapshot's
    const result = await chB.import(snapshot);
    expect(chB.map('m').get('x')).toBe(2);
    expect(chB.map('m').getEntry('gone')?.deleted).toBe(true);
    expect(
      chB
        .stream('s')
        .getAll()
        .map((entry) => [...entry.payload]),
    ).toEqual([[1, 2]]);
    expect(result.applied).toBe(2);
    expect((await chB.import(snapshot)).applied).toBe(0);
  });

  it('refuses bytes that are not a snapshot, changing nothing', async () => {
    const net = new SimulatedNetwork({ seed: 5 });
    const a = await createNode({ id: 'a', ...net.nodePorts('a') });
    const ch = await a.channel('c');
    for (const junk of [
      new Uint8Array(),
      Uint8Array.of(1, 2, 3, 4, 5),
      Uint8Array.of(0x53, 0x48, 0x58, 1, 0xff),
    ]) {
      await expect(ch.import(junk)).rejects.toMatchObject({ code: ErrorCode.DecodeFailed });
    }
    await expect(ch.import('x' as never)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    expect(ch.objects()).toEqual({ maps: [], streams: [] });
  });

  it('refuses a snapshot of an older format with a line that says so', async () => {
    const net = new SimulatedNetwork({ seed: 6 });
    const a = await createNode({ id: 'a', ...net.nodePorts('a') });
    const ch = await a.channel('c');
    await ch.map('m').set('k', 1);
    const snapshot = await ch.export();
    const older = snapshot.slice();
    older[3] = (snapshot[3] as number) - 1;
    await expect(ch.import(older)).rejects.toMatchObject({
      code: ErrorCode.DecodeFailed,
      message: expect.stringMatching(/older Shoal: export it again/),
    });
    expect((await ch.import(snapshot)).applied).toBe(0);
  });
});

describe('syncNow', () => {
  it('resolves once a round with the peer completed, both ways', async () => {
    const { net, a, b } = await pair();
    const mapA = (await a.channel('c')).map('m');
    const mapB = (await b.channel('c')).map('m');
    await net.runFor(500);
    net.partition(['node-a'], ['node-b']);
    await mapA.set('from-a', 1);
    await mapB.set('from-b', 2);
    net.heal();
    const result = a.syncNow('node-b');
    await net.runUntil(() => false, { timeout: 100 });
    expect(await result).toEqual([{ peer: 'node-b', synced: ['c'], unanswered: [] }]);
    expect(mapA.get('from-b')).toBe(2);
    await net.runFor(50);
    expect(mapB.get('from-a')).toBe(1);
  });

  it('rejects with SYNC_TIMEOUT when the peer never answers, NO_PEERS with nobody', async () => {
    const { net, a } = await pair();
    await a.channel('c');
    net.partition(['node-a'], ['node-b']);
    const result = a.syncNow('node-b', { timeout: 1000 });
    const settled = expect(result).rejects.toMatchObject({ code: ErrorCode.SyncTimeout });
    await net.runFor(1500);
    await settled;
    const lone = new SimulatedNetwork({ seed: 1 });
    const solo = await createNode({ id: 'solo', ...lone.nodePorts('solo') });
    await expect(solo.syncNow()).rejects.toMatchObject({ code: ErrorCode.NoPeers });
  });
});

describe('joinChannelsOnDemand', () => {
  it('a node in the middle serves a channel it never opened, so two peers that only reach it converge', async () => {
    const net = new SimulatedNetwork({ seed: 8, latency: { min: 1, max: 5 } });
    const hub = await createNode({
      id: 'hub',
      ...net.nodePorts('hub'),
      config: { joinChannelsOnDemand: true },
    });
    const a = await createNode({ id: 'a', ...net.nodePorts('a') });
    const b = await createNode({ id: 'b', ...net.nodePorts('b') });
    net.block('a', 'b');
    net.block('b', 'a');
    const onA = (await a.channel('room')).map('m');
    const onB = (await b.channel('room')).map('m');
    await onA.set('hello', 'from a');
    expect(await net.runUntil(() => onB.get('hello') === 'from a', { timeout: 20_000 })).toBe(true);
    expect(hub.resourceUsage().channels).toBe(1);
  });

  it('is off by default: a node serves only the channels it opened', async () => {
    const net = new SimulatedNetwork({ seed: 8, latency: { min: 1, max: 5 } });
    const hub = await createNode({ id: 'hub', ...net.nodePorts('hub') });
    const a = await createNode({ id: 'a', ...net.nodePorts('a') });
    await (await a.channel('room')).map('m').set('k', 1);
    await net.runFor(3000);
    expect(hub.resourceUsage().channels).toBe(0);
  });
});

describe('secrets', () => {
  it('several secrets rotate a key: the first seals, all open; open mode is a standing warning', async () => {
    const net = new SimulatedNetwork({ seed: 12, latency: 2 });
    const [oldKey, newKey] = [generateSecret(), generateSecret()];
    const a = await createNode({ id: 'a', ...net.nodePorts('a'), secret: [oldKey, newKey] });
    const b = await createNode({ id: 'b', ...net.nodePorts('b'), secret: [newKey, oldKey] });
    const onA = (await a.channel('c')).map('m');
    const onB = (await b.channel('c')).map('m');
    await onA.set('from-a', 1);
    await onB.set('from-b', 2);
    expect(
      await net.runUntil(() => onA.get('from-b') === 2 && onB.get('from-a') === 1, { timeout: 10_000 }),
    ).toBe(true);
    expect(a.health().warnings).toEqual([]);
    const open = await createNode({ id: 'o', ...new SimulatedNetwork({ seed: 1 }).nodePorts('o') });
    expect(open.health().warnings).toEqual([expect.stringContaining('open mode')]);
  });
});

describe('membership: false', () => {
  it('syncs two parties with sync messages only', async () => {
    const { net, a, b, sentByA } = await pair({ membership: false });
    const mapA = (await a.channel('c')).map('m');
    const mapB = (await b.channel('c')).map('m');
    await mapA.set('k', 1);
    expect(await net.runUntil(() => mapB.get('k') === 1, { timeout: 5000 })).toBe(true);
    await net.runFor(5000);
    expect(
      a
        .members()
        .map((member) => member.id)
        .sort(),
    ).toEqual(['node-a', 'node-b']);
    expect(a.leader()).toBe('node-b');
    expect(sentByA.length).toBeGreaterThan(0);
    expect(
      sentByA.filter((message) => message.type === MessageType.Membership || message.piggyback > 0),
    ).toEqual([]);
  });
});

describe('lifecycle', () => {
  it('dispose() finishes with manual timers nobody advances, peers alive or not', async () => {
    const { net, a, b } = await pair();
    await a.channel('c');
    await net.runFor(3000);
    expect(a.members().filter((member) => member.state === 'alive')).toHaveLength(2);
    const timers = new ManualTimers();
    const stuck = await createNode({
      id: 'stuck',
      timers,
      storage: new MemoryStore(),
      port: net.connect('stuck'),
    });
    stuck.addPeer('node-a');
    await stuck.dispose();
    await a.dispose();
    await b.dispose({ leave: false });
    expect([a.state, b.state, stuck.state]).toEqual(['disposed', 'disposed', 'disposed']);
  });

  it('a copied store opens under a new id with newIdentity, keeping the data', async () => {
    const net = new SimulatedNetwork({ seed: 9 });
    const original = await createNode({ id: 'orig', ...net.nodePorts('orig') });
    await (await original.channel('c')).map('m').set('k', 1);
    await original.flush();
    // A copy of the data directory, as `cp -r` or a restored backup makes one.
    const storage = new MemoryStore();
    for await (const [key, value] of net.storage('orig').scan(new Uint8Array()))
      await storage.put(key, value);
    await expect(
      createNode({ id: 'clone', port: (id) => net.connect(id), timers: net.timersFor('clone'), storage }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    const clone = await createNode({
      port: (id) => net.connect(id),
      timers: net.timersFor('clone'),
      storage,
      newIdentity: true,
    });
    expect(clone.id).not.toBe('orig');
    // An identity of its own: the copy signs with another key than the original, and its id
    // is the one that key derives (ADR 0055).
    expect(clone.publicKey).toHaveLength(32);
    expect(clone.publicKey).not.toEqual(original.publicKey);
    expect(clone.id).toBe(selfCertifyingId(clone.publicKey));
    const map = (await clone.channel('c')).map('m');
    expect(map.getEntry('k')).toMatchObject({ value: 1, writer: 'orig' });
    await map.set('k', 2);
    expect(map.getEntry('k')?.writer).toBe(clone.id);
  });

  it('names a new node by its key (a self-certifying id) unless told an id; a store keeps its id', async () => {
    const net = new SimulatedNetwork({ seed: 11 });
    const storage = new MemoryStore();
    const first = await createNode({ port: (id) => net.connect(id), timers: net.timersFor('x'), storage });
    expect(first.id).toBe(selfCertifyingId(first.publicKey));
    await first.stop();
    const again = await createNode({
      port: (id) => net.connect(`${id}-again`),
      timers: net.timersFor('y'),
      storage,
    });
    expect(again.id).toBe(first.id);
    const named = await createNode({ id: 'kitchen', ...net.nodePorts('kitchen') });
    expect(named.id).toBe('kitchen');
    expect(isSelfCertifyingId(named.id)).toBe(false);
  });

  it('keeps its Ed25519 identity key with its storage: the same public key after a restart', async () => {
    const net = new SimulatedNetwork({ seed: 10 });
    const storage = new MemoryStore();
    const first = await createNode({
      id: 'keyed',
      port: net.connect('keyed'),
      timers: net.timersFor('keyed'),
      storage,
    });
    const publicKey = first.publicKey;
    expect(publicKey).toEqual(
      nobleEd25519.publicKey(Uint8Array.from((await storage.get(nodeMetaKey('identity-key'))) ?? [])),
    );
    publicKey.fill(0); // a copy: the node's own key is untouched
    expect(first.publicKey).not.toEqual(publicKey);
    await first.stop();
    const again = await createNode({
      id: 'keyed',
      port: net.connect('keyed2'),
      timers: net.timersFor('keyed2'),
      storage,
    });
    expect(again.publicKey).toEqual(first.publicKey);
    const other = await createNode({ id: 'other', ...net.nodePorts('other') });
    expect(other.publicKey).not.toEqual(first.publicKey);
  });

  it('profiles preset timing; an unknown one is refused', async () => {
    const net = new SimulatedNetwork({ seed: 2 });
    await expect(createNode({ ...net.nodePorts('x'), profile: 'moon' as never })).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
    const wan = await createNode({ id: 'w', ...net.nodePorts('w'), profile: 'wan' });
    expect(wan.state).toBe('running');
  });
});
