import {
  type Coordinator,
  createInvite,
  ErrorCode,
  generateSecret,
  isShoalError,
  type NodeId,
} from '@shoal/core';
import { IndexedDbStore } from '@shoal/storage-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { openBrowserNode } from '../src/index.js';
import { LoopbackHub } from './loopback-hub.js';

const invite = createInvite({ networkId: 'test', secret: generateSecret() });
const names: string[] = [];
const open: Coordinator[] = [];
const dbName = (): string => {
  const name = `node-${crypto.randomUUID()}`;
  names.push(name);
  return name;
};
afterEach(async () => {
  for (const node of open.splice(0)) await node.dispose();
  for (const name of names.splice(0)) await IndexedDbStore.destroy(name);
});

/** Polls `predicate` on real time until it holds; fails after `ms` (a bound on hangs, not a speed check). */
async function eventually(predicate: () => boolean, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejection(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('openBrowserNode in Chromium', () => {
  it('syncs two nodes over the ports it is given, sealed with the invite, on real timers', async () => {
    const hub = new LoopbackHub();
    const config = { gossipInterval: 20 };
    const alice = await openBrowserNode({
      dbName: dbName(),
      secret: invite,
      config,
      ports: [(id) => hub.connect(id)],
    });
    const bob = await openBrowserNode({
      dbName: dbName(),
      secret: invite,
      config,
      ports: [(id) => hub.connect(id)],
    });
    open.push(alice, bob);
    const onAlice = (await alice.channel('room')).map('kv');
    const onBob = (await bob.channel('room')).map('kv');
    await onAlice.set('from-alice', { n: 1 });
    await onBob.set('from-bob', [2]);
    await eventually(() => onAlice.has('from-bob') && onBob.has('from-alice'));
    expect(onBob.get('from-alice')).toEqual({ n: 1 });
    expect(onAlice.get('from-bob')).toEqual([2]);
  });

  it('brings back the node’s id and state from IndexedDB when reopened', async () => {
    const name = dbName();
    const first = await openBrowserNode({ dbName: name, secret: invite });
    const id: NodeId = first.id;
    const stream = (await first.channel('room')).stream('log');
    await (await first.channel('room')).map('kv').set('k', 'v');
    await stream.append(Uint8Array.of(1, 2, 3));
    await first.dispose();

    const again = await openBrowserNode({ dbName: name, secret: invite });
    open.push(again);
    expect(again.id).toBe(id);
    const channel = await again.channel('room');
    expect(channel.map('kv').get('k')).toBe('v');
    expect(
      channel
        .stream('log')
        .getAll()
        .map((entry) => [...entry.payload]),
    ).toEqual([[1, 2, 3]]);
  });

  it('refuses a database another node has open, closing the ports it was given', async () => {
    const name = dbName();
    const hub = new LoopbackHub();
    open.push(await openBrowserNode({ dbName: name }));
    let closed = false;
    const port = hub.connect('bystander' as NodeId);
    const closing = port.close.bind(port);
    port.close = async () => {
      closed = true;
      await closing();
    };
    const error = await rejection(() => openBrowserNode({ dbName: name, ports: [port] }));
    expect(isShoalError(error, ErrorCode.Storage)).toBe(true);
    expect(closed).toBe(true);
  });

  it('closes the store when the node cannot be created (a bad secret), so the database opens again', async () => {
    const name = dbName();
    const error = await rejection(() => openBrowserNode({ dbName: name, secret: 'not an invite' }));
    expect(isShoalError(error, ErrorCode.InvalidSecret)).toBe(true);
    open.push(await openBrowserNode({ dbName: name }));
  });
});
