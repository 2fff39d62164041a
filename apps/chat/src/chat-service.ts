import type { Channel, Coordinator, MemberInfo, NodeId, SharedMap, SharedStream } from '@shoal/core';
import { checkNick, checkRoom, checkText, decodeMessage, encodeMessage, isRoom } from './chat-message.js';
import { HEARTBEAT_MS, listPeople, type Person, type PresenceState, readPresence } from './presence.js';

/** The channel every chat client and hub shares. */
export const CHAT_CHANNEL = 'chat';
/** The room every client joins on first start. */
export const DEFAULT_ROOM = 'general';

/** A room as the rooms map holds it (the leading hub sets the topic). */
export type RoomRecord = {
  readonly topic: string;
  /** The UTC day (`YYYY-MM-DD`) the topic was set for. */
  readonly day: string;
};

/** A room as a client shows it. */
export interface RoomInfo {
  readonly name: string;
  readonly topic: string;
  readonly joined: boolean;
  /** Messages from others that arrived while the room was not focused. */
  readonly unread: number;
}

/** One message of a room's history, in the order every replica shows. */
export interface ChatLine {
  /** `author:seq`: unique and stable on every replica. */
  readonly id: string;
  readonly author: NodeId;
  readonly nick: string;
  readonly text: string;
  readonly at: number;
  /** True for this node's own messages. */
  readonly own: boolean;
}

/** A hub as a client shows it. */
export interface HubInfo {
  readonly id: NodeId;
  readonly state: MemberInfo['state'];
  readonly leader: boolean;
}

/** Options of {@link ChatService.open}. */
export interface ChatServiceOptions {
  /** This person's nickname; by default the one it used last on this node, else `guest-xxxx`. */
  readonly nick?: string;
  /** How often presence is rewritten, in ms. Default {@link HEARTBEAT_MS}. */
  readonly heartbeatMs?: number;
  /** The wall clock (ms since the epoch). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Chat over one Shoal node: rooms are streams (`room:<name>`) in the `chat` channel, so every
 * replica shows a room's history in the same total order; nicknames and presence are records in
 * the `presence` map keyed by node id (each node writes only its own, with a heartbeat); the
 * room list is the `rooms` map. Nothing waits for a hub or a leader: a message is durable on
 * this node when {@link send} resolves, and reaches the others through ordinary sync whenever
 * a hub or a peer is reachable.
 */
export class ChatService {
  readonly node: Coordinator;
  readonly #channel: Channel;
  readonly #rooms: SharedMap<RoomRecord>;
  readonly #presence: SharedMap;
  readonly #now: () => number;
  readonly #joined = new Map<string, () => void>();
  readonly #unread = new Map<string, number>();
  readonly #history = new Map<string, ChatLine[]>();
  readonly #listeners = new Set<() => void>();
  readonly #unsubscribe: (() => void)[] = [];
  #nick: string;
  #state: PresenceState = 'online';
  #focus = DEFAULT_ROOM;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor(node: Coordinator, channel: Channel, nick: string, now: () => number) {
    this.node = node;
    this.#channel = channel;
    this.#rooms = channel.map<RoomRecord>('rooms');
    this.#presence = channel.map('presence');
    this.#now = now;
    this.#nick = nick;
  }

  /**
   * Opens the chat on `node`: rejoins the rooms this node had joined (or `general`), announces
   * presence and keeps it fresh until {@link close}.
   * @throws ShoalError `INVALID_ARGUMENT` for a bad nickname; as `node.channel` does.
   */
  static async open(node: Coordinator, options: ChatServiceOptions = {}): Promise<ChatService> {
    const channel = await node.channel(CHAT_CHANNEL);
    const previous = readPresence(channel.map('presence').get(node.id));
    // The id's head, not its tail: a node id derived from its key ends in the same marker
    // everywhere (ADR 0055), which named every guest `guest-5d1d`.
    const nick = checkNick(options.nick ?? previous?.nick ?? `guest-${node.id.slice(0, 4)}`);
    const service = new ChatService(node, channel, nick, options.now ?? Date.now);
    const rooms = previous?.rooms.filter(isRoom) ?? [];
    for (const room of rooms.length > 0 ? rooms : [DEFAULT_ROOM]) service.#subscribe(room);
    service.#focus = [...service.#joined.keys()][0] ?? DEFAULT_ROOM;
    const changed = () => service.#changed();
    service.#unsubscribe.push(
      service.#rooms.on('change', changed),
      service.#presence.on('change', changed),
      node.events.subscribe(changed),
    );
    await service.#ensureRooms([...service.#joined.keys()]);
    await service.#announce();
    service.#heartbeat = setInterval(() => {
      service.#announce().catch(() => {});
    }, options.heartbeatMs ?? HEARTBEAT_MS);
    return service;
  }

  get nick(): string {
    return this.#nick;
  }

  /** The focused room: where {@link send} without a room goes and whose unread count stays 0. */
  get focus(): string {
    return this.#focus;
  }

  get presence(): PresenceState {
    return this.#state;
  }

  /** Calls `listener` after anything a client shows may have changed; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every known room, joined ones first, each by name. */
  rooms(): RoomInfo[] {
    const names = new Set([...this.#rooms.keys(), ...this.#joined.keys()]);
    return [...names]
      .filter(isRoom)
      .map((name) => ({
        name,
        topic: topicOf(this.#rooms.get(name)),
        joined: this.#joined.has(name),
        unread: this.#unread.get(name) ?? 0,
      }))
      .sort((a, b) => Number(b.joined) - Number(a.joined) || a.name.localeCompare(b.name));
  }

  /**
   * Joins `room` (creating it if nobody has) and focuses it.
   * @throws ShoalError `INVALID_ARGUMENT` for a bad room name.
   */
  async join(input: string): Promise<string> {
    const room = checkRoom(input);
    this.#subscribe(room);
    this.focusRoom(room);
    await this.#ensureRooms([room]);
    await this.#announce();
    return room;
  }

  /** Leaves `room` (default: the focused one); the focus moves to another joined room. */
  async leave(input: string = this.#focus): Promise<string> {
    const room = checkRoom(input);
    this.#joined.get(room)?.();
    this.#joined.delete(room);
    this.#unread.delete(room);
    if (this.#focus === room) this.#focus = [...this.#joined.keys()][0] ?? DEFAULT_ROOM;
    this.#changed();
    await this.#announce();
    return room;
  }

  /** Focuses `room` (joined or not, to read it) and clears its unread count. */
  focusRoom(input: string): void {
    const room = checkRoom(input);
    this.#focus = room;
    this.#unread.set(room, 0);
    this.#changed();
  }

  /**
   * Sends `text` to `room` (default: the focused one); resolves once durable on this node.
   * @throws ShoalError `INVALID_ARGUMENT` for an empty or too long text or a bad room name.
   */
  async send(text: string, room: string = this.#focus): Promise<void> {
    const message = { text: checkText(text), nick: this.#nick, at: this.#now() };
    await this.#stream(checkRoom(room)).append(encodeMessage(message));
  }

  /** A room's messages in the order every replica shows (messages that do not decode are skipped). */
  history(room: string = this.#focus): readonly ChatLine[] {
    let lines = this.#history.get(room);
    if (lines === undefined) {
      lines = [];
      for (const entry of this.#stream(room).getAll()) {
        const message = decodeMessage(entry.payload);
        if (message === undefined) continue;
        lines.push({
          id: `${entry.author}:${entry.seq}`,
          author: entry.author,
          ...message,
          own: entry.author === this.node.id,
        });
      }
      this.#history.set(room, lines);
    }
    return lines;
  }

  /** Changes this person's nickname (others see it on their next message and in `who`). */
  async setNick(nick: string): Promise<void> {
    this.#nick = checkNick(nick);
    await this.#announce();
  }

  /** Marks this person away (`true`) or back online. */
  async setAway(away: boolean): Promise<void> {
    this.#state = away ? 'away' : 'online';
    await this.#announce();
  }

  /** Everyone with a presence record (a stale heartbeat shows as `gone`). */
  who(): Person[] {
    return listPeople(this.#presence, this.node.id, this.#now());
  }

  /** The hubs this node knows of, with the one their `leader()` picks. */
  hubs(): HubInfo[] {
    const leader = this.node.leader();
    return (
      this.node
        .members()
        // A client (a membership leaf) lists itself among the members it knows: not a hub.
        .filter((member) => member.state !== 'left' && member.id !== this.node.id)
        .map((member) => ({ id: member.id, state: member.state, leader: member.id === leader }))
    );
  }

  /** Announces `gone`, stops the heartbeat and waits for that to be durable; the node stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const unsubscribe of [...this.#unsubscribe, ...this.#joined.values()]) unsubscribe();
    this.#state = 'gone';
    await this.#announce().catch(() => {});
  }

  #stream(room: string): SharedStream {
    return this.#channel.stream(`room:${room}`);
  }

  #subscribe(room: string): void {
    if (this.#joined.has(room)) return;
    const off = this.#stream(room).on('entry', (event) => {
      this.#history.delete(room);
      if (!event.local && room !== this.#focus) this.#unread.set(room, (this.#unread.get(room) ?? 0) + 1);
      this.#changed();
    });
    this.#joined.set(room, off);
  }

  /** Adds rooms nobody has listed yet (the leading hub gives each its topic). */
  async #ensureRooms(rooms: readonly string[]): Promise<void> {
    const missing = rooms.filter((room) => !this.#rooms.has(room));
    if (missing.length === 0) return;
    await this.#channel.transact(() => {
      for (const room of missing) void this.#rooms.set(room, { topic: '', day: '' });
    });
  }

  #announce(): Promise<void> {
    return this.#presence.set(this.node.id, {
      nick: this.#nick,
      state: this.#state,
      at: this.#now(),
      rooms: [...this.#joined.keys()],
    });
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** A room record's topic; whatever else a peer wrote there reads as no topic. */
function topicOf(record: unknown): string {
  if (typeof record !== 'object' || record === null) return '';
  const { topic } = record as { topic?: unknown };
  return typeof topic === 'string' ? topic : '';
}
