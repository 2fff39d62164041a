import type { Coordinator, NodeId } from '@shoal/core';
import { CHAT_CHANNEL, type RoomRecord } from './chat-service.js';
import { readPresence } from './presence.js';

/** Options of {@link runHousekeeping}. */
export interface HousekeepingOptions {
  /** How often the leading hub does its round, in ms. Default 5000. */
  readonly intervalMs?: number;
  /** Presence records silent for this long are removed, in ms. Default one hour. */
  readonly forgetAfterMs?: number;
  /** The wall clock. Default `Date.now`. */
  readonly now?: () => number;
  /** Told each time this hub starts or stops leading. */
  readonly onLeadership?: (leading: boolean, leader: NodeId) => void;
}

/** A running housekeeping loop. */
export interface Housekeeping {
  /** True while this hub is the leader and does the rounds. */
  readonly leading: boolean;
  stop(): void;
}

/** Topics the leading hub gives the rooms, one a day. */
const TOPICS = [
  'What are you building this week?',
  'Offline-first war stories',
  'Favourite CRDT papers',
  'Show us your terminal setup',
  'Networks that misbehave',
  'Tools you could not live without',
  'Small wins of the day',
];

/** The topic of the day for `day` (`YYYY-MM-DD`): the same on every hub. */
export function topicOfDay(day: string): string {
  const days = Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
  return TOPICS[((days % TOPICS.length) + TOPICS.length) % TOPICS.length] as string;
}

/**
 * Room housekeeping on a hub, done only by the hub that `node.leader()` picks (every hub
 * computes the same one from its membership view; a killed leader is replaced once the others
 * declare it dead). Each round the leader gives every room without today's topic the topic of
 * the day, and removes presence records silent for `forgetAfterMs`. Nothing in the data path
 * waits for it: if two hubs both think they lead for a moment (views differ during a
 * partition), they write the same topic and delete the same records, so the overlap is harmless.
 */
export async function runHousekeeping(
  node: Coordinator,
  options: HousekeepingOptions = {},
): Promise<Housekeeping> {
  const channel = await node.channel(CHAT_CHANNEL);
  const rooms = channel.map<RoomRecord>('rooms');
  const presence = channel.map('presence');
  const now = options.now ?? Date.now;
  const forgetAfter = options.forgetAfterMs ?? 3_600_000;
  let leading = false;
  const round = () => {
    const leader = node.leader();
    const lead = leader === node.id;
    if (lead !== leading) {
      leading = lead;
      options.onLeadership?.(lead, leader);
    }
    if (!lead) return;
    const today = new Date(now()).toISOString().slice(0, 10);
    const writes: Promise<void>[] = [];
    for (const [room, record] of rooms.entries()) {
      const day = typeof record === 'object' && record !== null ? record.day : undefined;
      if (day !== today) writes.push(rooms.set(room, { topic: topicOfDay(today), day: today }));
    }
    for (const [id, value] of presence.entries()) {
      const record = readPresence(value);
      if (record === undefined || now() - record.at > forgetAfter) writes.push(presence.delete(id));
    }
    Promise.all(writes).catch(() => {});
  };
  round();
  const timer = setInterval(round, options.intervalMs ?? 5000);
  // A new leader takes over at once rather than at its next round.
  const unsubscribe = node.events.subscribe((event) => {
    if (event.type === 'leader-changed' || event.type === 'dead' || event.type === 'left') round();
  });
  return {
    get leading() {
      return leading;
    },
    stop: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
