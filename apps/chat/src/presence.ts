import type { NodeId, SharedMap } from '@shoal/core';
import { isNick, isRoom } from './chat-message.js';

/** What a person is doing, as others see it. */
export type PresenceState = 'online' | 'away' | 'gone';

/** A node's presence record in the `presence` map, keyed by its node id; it alone writes it. */
export interface PresenceRecord {
  readonly nick: string;
  /** What it last said of itself; `gone` once it closed. */
  readonly state: PresenceState;
  /** Its wall clock when it last wrote the record (a heartbeat), ms since the epoch. */
  readonly at: number;
  /** The rooms it has joined. */
  readonly rooms: readonly string[];
}

/** How often a client rewrites its presence record while it runs. */
export const HEARTBEAT_MS = 10_000;
/**
 * A record not rewritten for this long reads as `gone`: three missed heartbeats and a margin,
 * so a client killed without closing (or cut off) leaves the list within 35 s.
 */
export const GONE_AFTER_MS = 35_000;

/** A person as {@link ChatService.who} lists them. */
export interface Person {
  readonly id: NodeId;
  readonly nick: string;
  readonly state: PresenceState;
  readonly rooms: readonly string[];
  /** True for this node. */
  readonly self: boolean;
}

/**
 * Reads the presence record of `value`, or undefined when a peer wrote something else (it is
 * skipped, not trusted).
 */
export function readPresence(value: unknown): PresenceRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { nick, state, at, rooms } = value as Record<string, unknown>;
  if (typeof nick !== 'string' || !isNick(nick)) return undefined;
  if (state !== 'online' && state !== 'away' && state !== 'gone') return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  if (!Array.isArray(rooms) || !rooms.every((room) => typeof room === 'string' && isRoom(room)))
    return undefined;
  return { nick, state, at, rooms };
}

/** What a record says now: a stale heartbeat reads as `gone`, whatever the record says. */
export function stateAt(record: PresenceRecord, now: number): PresenceState {
  return now - record.at > GONE_AFTER_MS ? 'gone' : record.state;
}

/** Everyone with a presence record, online first, then away, then gone, each by nickname. */
export function listPeople(presence: SharedMap, self: NodeId, now: number): Person[] {
  const rank: Record<PresenceState, number> = { online: 0, away: 1, gone: 2 };
  const people: Person[] = [];
  for (const [id, value] of presence.entries()) {
    const record = readPresence(value);
    if (record === undefined) continue;
    people.push({
      id: id as NodeId,
      nick: record.nick,
      state: id === self ? record.state : stateAt(record, now),
      rooms: record.rooms,
      self: id === self,
    });
  }
  return people.sort((a, b) => rank[a.state] - rank[b.state] || a.nick.localeCompare(b.nick));
}
