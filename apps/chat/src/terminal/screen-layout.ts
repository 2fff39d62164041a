import type { ChatLine, HubInfo, RoomInfo } from '../chat-service.js';
import { interleave, type Notice } from '../notices.js';
import type { Person } from '../presence.js';

/** Everything the terminal shows, read from the chat service and the input line. */
export interface ScreenModel {
  readonly nick: string;
  readonly presence: string;
  readonly room: string;
  readonly topic: string;
  readonly rooms: readonly RoomInfo[];
  /** The focused room's messages, oldest first. */
  readonly lines: readonly ChatLine[];
  /** Local notices (command output, errors), oldest first; shown among the messages by time. */
  readonly notices: readonly Notice[];
  readonly people: readonly Person[];
  readonly hubs: readonly HubInfo[];
  /** The hub URL this client is on, or undefined while it reconnects. */
  readonly hub: string | undefined;
  readonly input: string;
  /** How many rows the message pane is scrolled up from the newest. */
  readonly scroll: number;
}

/** A row of the screen: its text (exactly the screen's width) and an optional SGR style. */
export interface Row {
  readonly text: string;
  readonly style?: string;
}

const ROOMS_WIDTH = 18;
const PEOPLE_WIDTH = 20;
/** Below this width the side panes are left out and the messages take the whole row. */
const NARROW = 70;

/**
 * Lays the chat out on a `cols` × `rows` screen: a title bar (room, topic, hub, leader), the
 * rooms with unread counts on the left, messages in the middle (wrapped, newest at the bottom,
 * scrollable), who is here on the right, a status line and the input line. Pure: the same
 * model and size give the same rows, each exactly `cols` characters.
 */
export function layoutScreen(model: ScreenModel, cols: number, rows: number): Row[] {
  const width = Math.max(cols, 20);
  const height = Math.max(rows, 6);
  const narrow = width < NARROW;
  const leader = model.hubs.find((hub) => hub.leader)?.id;
  const title = ` shoal chat  #${model.room}${model.topic === '' ? '' : ` — ${model.topic}`}  `;
  const where = `${model.hub === undefined ? 'reconnecting…' : `hub ${model.hub}`}${leader === undefined ? '' : ` · leader ${leader.slice(0, 8)}`} `;
  const out: Row[] = [{ text: fit(`${fit(title, width - where.length)}${where}`, width), style: '7' }];
  const body = height - 3;
  const messagesWidth = narrow ? width : width - ROOMS_WIDTH - PEOPLE_WIDTH - 2;
  const messages = messageRows(model, messagesWidth, body);
  const left = narrow ? [] : roomRows(model);
  const right = narrow ? [] : peopleRows(model);
  for (let i = 0; i < body; i++) {
    const middle = messages[i] ?? { text: '' };
    if (narrow) {
      out.push({
        text: fit(middle.text, width),
        ...(middle.style === undefined ? {} : { style: middle.style }),
      });
      continue;
    }
    out.push({
      text: `${fit(left[i] ?? '', ROOMS_WIDTH)}│${fit(middle.text, messagesWidth)}│${fit(right[i] ?? '', PEOPLE_WIDTH)}`,
    });
  }
  const scrolled = model.scroll > 0 ? ` · scrolled up ${model.scroll} (PgDn)` : '';
  out.push({
    text: fit(
      ` ${model.nick} (${model.presence})${scrolled} · Tab next room · PgUp/PgDn scroll · /help`,
      width,
    ),
    style: '2',
  });
  const prompt = `#${model.room}> `;
  const room = width - prompt.length - 1;
  const input = model.input.length > room ? model.input.slice(model.input.length - room) : model.input;
  out.push({ text: fit(`${prompt}${input}`, width) });
  return out;
}

/** The column (0-based) of the input cursor on the last row. */
export function cursorColumn(model: ScreenModel, cols: number): number {
  const prompt = `#${model.room}> `;
  return Math.min(prompt.length + model.input.length, Math.max(cols, 20) - 1);
}

function messageRows(model: ScreenModel, width: number, height: number): Row[] {
  const all: Row[] = [];
  for (const item of interleave(model.lines, model.notices)) {
    const text =
      'notice' in item
        ? `* ${item.notice.text}`
        : `${new Date(item.line.at).toTimeString().slice(0, 5)} ${item.line.nick}: ${item.line.text}`;
    for (const part of wrap(text, width)) all.push({ text: part });
  }
  const end = Math.max(0, all.length - model.scroll);
  const start = Math.max(0, end - height);
  const shown = all.slice(start, end);
  // Newest at the bottom: pad above when there are fewer rows than the pane holds.
  return [...Array.from({ length: height - shown.length }, () => ({ text: '' })), ...shown];
}

function roomRows(model: ScreenModel): string[] {
  const rows = [' Rooms'];
  for (const room of model.rooms) {
    const marker = room.name === model.room ? '>' : ' ';
    const unread = room.unread > 0 ? ` (${room.unread})` : '';
    rows.push(`${marker}#${room.name}${room.joined ? '' : '?'}${unread}`);
  }
  return rows;
}

function peopleRows(model: ScreenModel): string[] {
  const rows = [' Here'];
  for (const person of model.people) {
    const mark = person.state === 'online' ? '●' : person.state === 'away' ? '◐' : '○';
    rows.push(` ${mark} ${person.nick}${person.self ? ' (you)' : ''}`);
  }
  if (model.hubs.length > 0) {
    rows.push('', ' Hubs');
    for (const hub of model.hubs)
      rows.push(
        ` ${hub.state === 'alive' ? '●' : '○'} ${hub.id.slice(0, 8)}${hub.leader ? ' ★ leader' : ''}`,
      );
  }
  return rows;
}

/** `text` cut or padded to exactly `width` characters (code points). */
export function fit(text: string, width: number): string {
  const chars = [...text.replace(/\p{Cc}/gu, ' ')];
  if (chars.length > width) return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
  return chars.join('') + ' '.repeat(width - chars.length);
}

/** Splits `text` into rows of at most `width` characters, at spaces where it can. */
export function wrap(text: string, width: number): string[] {
  const chars = [...text.replace(/\p{Cc}/gu, ' ')];
  const rows: string[] = [];
  let start = 0;
  while (chars.length - start > width) {
    let cut = start + width;
    const space = chars.lastIndexOf(' ', cut);
    if (space > start + width / 2) cut = space + 1;
    rows.push(chars.slice(start, cut).join('').trimEnd());
    start = cut;
  }
  rows.push(chars.slice(start).join(''));
  return rows;
}
