import { ErrorCode, ShoalError } from '@shoal/core';

/** One chat message as a room's stream holds it (JSON, UTF-8). */
export interface ChatMessage {
  readonly text: string;
  /** The sender's nickname when it sent the message. */
  readonly nick: string;
  /** The sender's wall clock when it sent the message, ms since the epoch (for display only). */
  readonly at: number;
}

/** The longest message text, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 2000;
/** The longest nickname. */
export const MAX_NICK_LENGTH = 24;
/** The longest room name. */
export const MAX_ROOM_LENGTH = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes a room's stream stores for `message`. */
export function encodeMessage(message: ChatMessage): Uint8Array {
  return encoder.encode(JSON.stringify({ text: message.text, nick: message.nick, at: message.at }));
}

/**
 * Reads a stream entry back as a message. Total: any bytes a peer wrote (not valid UTF-8, not
 * JSON, the wrong shape, over the limits) give `undefined`, and the caller skips the entry.
 */
export function decodeMessage(bytes: Uint8Array): ChatMessage | undefined {
  if (bytes.length > 4 * (MAX_TEXT_LENGTH + MAX_NICK_LENGTH) + 64) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { text, nick, at } = parsed as Record<string, unknown>;
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT_LENGTH) return undefined;
  if (typeof nick !== 'string' || !isNick(nick)) return undefined;
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) return undefined;
  return { text, nick, at };
}

/** True for a nickname: 1-24 letters, digits, `-`, `_` or `.`. */
export function isNick(nick: string): boolean {
  return nick.length <= MAX_NICK_LENGTH && /^[\p{L}\p{N}_.-]+$/u.test(nick);
}

/** True for a room name: 1-32 lowercase letters, digits, `-` or `_`. */
export function isRoom(room: string): boolean {
  return room.length <= MAX_ROOM_LENGTH && /^[a-z0-9_-]+$/.test(room);
}

/** `nick` if it is one, else a ShoalError `INVALID_ARGUMENT` saying what a nickname may hold. */
export function checkNick(nick: string): string {
  if (!isNick(nick)) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `"${nick}" is not a nickname: use 1-${MAX_NICK_LENGTH} letters, digits, '-', '_' or '.'`,
    );
  }
  return nick;
}

/** The room name for `input` (a leading `#` is dropped), or a ShoalError `INVALID_ARGUMENT`. */
export function checkRoom(input: string): string {
  const room = input.startsWith('#') ? input.slice(1) : input;
  if (!isRoom(room)) {
    throw new ShoalError(
      ErrorCode.InvalidArgument,
      `"${input}" is not a room name: use 1-${MAX_ROOM_LENGTH} lowercase letters, digits, '-' or '_'`,
    );
  }
  return room;
}

/** The text of a message to send, trimmed, or a ShoalError `INVALID_ARGUMENT`. */
export function checkText(input: string): string {
  const text = input.trim();
  if (text.length === 0) throw new ShoalError(ErrorCode.InvalidArgument, 'an empty message is not sent');
  if (text.length > MAX_TEXT_LENGTH)
    throw new ShoalError(ErrorCode.InvalidArgument, `a message holds at most ${MAX_TEXT_LENGTH} characters`);
  return text;
}
