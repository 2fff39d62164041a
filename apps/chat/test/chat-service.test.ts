import type { Coordinator } from '@shoal/core';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../src/chat-commands.js';
import { runHousekeeping, topicOfDay } from '../src/housekeeping.js';
import { eventually, freePort, openClient, openHub } from './chat-cluster.js';

// A hub and chat clients over real WebSockets on loopback, as users run them.
const opened: { dispose(): Promise<void> }[] = [];
const track = <T extends { dispose(): Promise<void> }>(node: T): T => {
  opened.push(node);
  return node;
};
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((node) => node.dispose()));
});

async function cluster(): Promise<{ hub: Coordinator; url: string }> {
  const port = await freePort();
  const hub = track(await openHub(port));
  return { hub, url: `ws://127.0.0.1:${port}` };
}

describe('chat over a hub', () => {
  it('shows every client the same history in the same order, with unread counts elsewhere', async () => {
    const { url } = await cluster();
    const alice = await openClient([url], 'alice');
    track(alice.node);
    const bob = await openClient([url], 'bob');
    track(bob.node);
    await bob.chat.join('random');
    await bob.chat.join('general');
    // Interleaved writers: the order is the stream's total order, not arrival order.
    for (let i = 0; i < 5; i++) {
      await alice.chat.send(`a${i}`);
      await bob.chat.send(`b${i}`);
    }
    await alice.chat.send('in random', 'random');
    const ids = (chat: typeof alice.chat, room = 'general') => chat.history(room).map((line) => line.id);
    await eventually(
      () => ids(alice.chat).length === 10 && ids(bob.chat).length === 10,
      'both to hold 10 messages',
    );
    expect(ids(bob.chat)).toEqual(ids(alice.chat));
    expect(
      alice.chat
        .history()
        .map((line) => line.text)
        .sort(),
    ).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']);
    expect(bob.chat.history().find((line) => line.text === 'a0')).toMatchObject({
      nick: 'alice',
      own: false,
    });
    await eventually(
      () => bob.chat.rooms().find((room) => room.name === 'random')?.unread === 1,
      'bob to count one unread message in #random',
    );
    bob.chat.focusRoom('random');
    expect(bob.chat.rooms().find((room) => room.name === 'random')?.unread).toBe(0);
    expect(bob.chat.history('random').map((line) => line.text)).toEqual(['in random']);
  });

  it('names clients that chose no nickname apart', async () => {
    const { url } = await cluster();
    const first = await openClient([url]);
    track(first.node);
    const second = await openClient([url]);
    track(second.node);
    const own = (chat: typeof first.chat) => chat.who().find((person) => person.self)?.nick;
    expect(own(first.chat)).toMatch(/^guest-[0-9a-f]{4}$/);
    expect(own(second.chat)).toMatch(/^guest-[0-9a-f]{4}$/);
    expect(own(first.chat)).not.toBe(own(second.chat));
  });

  it('shows presence: online, away, a new nickname, and gone after close', async () => {
    const { url } = await cluster();
    const alice = await openClient([url], 'alice');
    track(alice.node);
    const bob = await openClient([url], 'bob');
    track(bob.node);
    const seen = (nick: string) =>
      bob.chat.who().find((person) => person.id === alice.node.id && person.nick === nick);
    await eventually(() => seen('alice')?.state === 'online', 'bob to see alice online');
    expect(bob.chat.who().find((person) => person.self)).toMatchObject({ nick: 'bob', state: 'online' });
    expect((await runCommand(alice.chat, '/away')).notices).toEqual(['you are away']);
    await eventually(() => seen('alice')?.state === 'away', 'bob to see alice away');
    expect((await runCommand(alice.chat, '/nick alicia')).notices).toEqual(['you are now alicia']);
    await eventually(() => seen('alicia') !== undefined, 'bob to see the new nickname');
    await alice.chat.close();
    await eventually(() => seen('alicia')?.state === 'gone', 'bob to see alice gone');
  });

  it('answers bad commands and bad input with a notice, changing nothing', async () => {
    const { url } = await cluster();
    const alice = await openClient([url], 'alice');
    track(alice.node);
    const before = alice.chat.rooms();
    expect((await runCommand(alice.chat, '/join Not A Room!')).notices[0]).toMatch(/not a room name/);
    expect((await runCommand(alice.chat, '/nick bad nick')).notices[0]).toBe('you are now bad');
    expect((await runCommand(alice.chat, '/nick ☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃☃')).notices[0]).toMatch(
      /not a nickname/,
    );
    expect((await runCommand(alice.chat, '/frobnicate')).notices[0]).toMatch(/unknown command \/frobnicate/);
    expect((await runCommand(alice.chat, 'x'.repeat(2001))).notices[0]).toMatch(/at most 2000/);
    expect((await runCommand(alice.chat, '   ')).notices).toEqual([]);
    expect(alice.chat.rooms()).toEqual(before);
    expect(alice.chat.history()).toEqual([]);
    expect((await runCommand(alice.chat, '/quit')).quit).toBe(true);
  });

  it('lets only the leading hub set the topic of the day', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = track(await openHub(portA, [`ws://127.0.0.1:${portB}`]));
    const b = track(await openHub(portB, [`ws://127.0.0.1:${portA}`]));
    await eventually(
      () => a.leader() === b.leader() && a.members().length === 2,
      'the hubs to agree on a leader',
    );
    const day = '2026-12-03';
    const now = () => Date.parse(`${day}T12:00:00Z`);
    const keepers = [
      await runHousekeeping(a, { now, intervalMs: 200 }),
      await runHousekeeping(b, { now, intervalMs: 200 }),
    ];
    try {
      expect(keepers.map((keeper) => keeper.leading).sort()).toEqual([false, true]);
      const alice = await openClient([`ws://127.0.0.1:${portA}`], 'alice');
      track(alice.node);
      await eventually(
        () => alice.chat.rooms().find((room) => room.name === 'general')?.topic === topicOfDay(day),
        'the leader to give #general the topic of the day',
      );
      expect(
        alice.chat
          .hubs()
          .filter((hub) => hub.leader)
          .map((hub) => hub.id),
      ).toEqual([a.leader()]);
    } finally {
      for (const keeper of keepers) keeper.stop();
    }
  });
});
