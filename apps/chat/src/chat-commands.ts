import { isShoalError } from '@shoal/core';
import type { ChatService } from './chat-service.js';

/** What a line typed into a client did. */
export interface CommandResult {
  /** Lines to show the person who typed it (not sent to anyone). */
  readonly notices: readonly string[];
  /** True after `/quit`. */
  readonly quit?: boolean;
}

/** The commands, as `/help` lists them. */
export const HELP = [
  '/join #room      join a room (created if new) and switch to it',
  '/leave [#room]   leave a room (default: this one)',
  '/switch #room    switch to a joined room (also Tab)',
  '/nick name       change your nickname',
  '/who             who is here: online, away, gone',
  '/rooms           every room, with unread counts',
  '/hubs            the hubs, and which one leads',
  '/away, /back     set your presence',
  '/quit            leave (also Ctrl-C)',
];

/**
 * Runs one line typed into a chat client: a `/command`, or else a message to the focused room.
 * Never throws: a bad command or argument comes back as a notice saying what was wrong.
 */
export async function runCommand(chat: ChatService, line: string): Promise<CommandResult> {
  const trimmed = line.trim();
  if (trimmed === '') return { notices: [] };
  try {
    if (!trimmed.startsWith('/')) {
      await chat.send(trimmed);
      return { notices: [] };
    }
    const [command = '', ...args] = trimmed.slice(1).split(/\s+/);
    const arg = args[0];
    switch (command.toLowerCase()) {
      case 'join':
        if (arg === undefined) return { notices: ['usage: /join #room'] };
        return { notices: [`joined #${await chat.join(arg)}`] };
      case 'leave':
      case 'part':
        return { notices: [`left #${await chat.leave(arg ?? chat.focus)}`] };
      case 'switch':
        if (arg === undefined) return { notices: ['usage: /switch #room'] };
        chat.focusRoom(arg);
        return { notices: [] };
      case 'nick':
        if (arg === undefined) return { notices: [`you are ${chat.nick}; usage: /nick name`] };
        await chat.setNick(arg);
        return { notices: [`you are now ${chat.nick}`] };
      case 'who':
        return {
          notices: chat
            .who()
            .map(
              (person) =>
                `${person.state === 'online' ? '●' : person.state === 'away' ? '◐' : '○'} ${person.nick}${person.self ? ' (you)' : ''} ${person.state}${person.rooms.length > 0 ? ` in ${person.rooms.map((room) => `#${room}`).join(' ')}` : ''}`,
            ),
        };
      case 'rooms':
        return {
          notices: chat
            .rooms()
            .map(
              (room) =>
                `#${room.name}${room.joined ? '' : ' (not joined)'}${room.unread > 0 ? ` ${room.unread} unread` : ''}${room.topic === '' ? '' : ` — ${room.topic}`}`,
            ),
        };
      case 'hubs': {
        const hubs = chat.hubs();
        if (hubs.length === 0) return { notices: ['no hub known yet'] };
        return { notices: hubs.map((hub) => `${hub.id} ${hub.state}${hub.leader ? ' (leader)' : ''}`) };
      }
      case 'away':
        await chat.setAway(true);
        return { notices: ['you are away'] };
      case 'back':
        await chat.setAway(false);
        return { notices: ['you are back'] };
      case 'help':
        return { notices: HELP };
      case 'quit':
      case 'exit':
        return { notices: [], quit: true };
      default:
        return { notices: [`unknown command /${command}; /help lists them`] };
    }
  } catch (error) {
    return { notices: [isShoalError(error) ? error.message : String(error)] };
  }
}
