import { emitKeypressEvents } from 'node:readline';
import type { ReadStream, WriteStream } from 'node:tty';
import { runCommand } from '../chat-commands.js';
import type { ChatService } from '../chat-service.js';
import type { HubLink } from '../hub-link.js';
import { addNotices } from '../notices.js';
import { cursorColumn, layoutScreen, type ScreenModel } from './screen-layout.js';

/** A key as Node's readline reports it. */
interface Key {
  readonly name?: string;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
  readonly sequence?: string;
}

/**
 * The full-screen terminal client: runs on the alternate screen until `/quit`, Ctrl-C or
 * Ctrl-D, redrawing when anything changes and when the terminal is resized. Keys: Enter sends
 * (or runs a `/command`), Tab moves to the next joined room, PgUp/PgDn scroll the history,
 * Backspace, ←/→, Home/End (Ctrl-A/E) and Ctrl-U edit the input line. Resolves once the
 * screen is restored; closing the service and node is the caller's.
 */
export function runTerminalChat(
  chat: ChatService,
  link: HubLink | undefined,
  terminal: { readonly input: ReadStream; readonly output: WriteStream },
): Promise<void> {
  const { input, output } = terminal;
  let text = '';
  let cursor = 0;
  let scroll = 0;
  let notices = addNotices(
    [],
    [`welcome, ${chat.nick}: type to chat in #${chat.focus}, /help for commands`],
    Date.now(),
  );
  let room = chat.focus;
  let scheduled = false;

  const model = (): ScreenModel => ({
    nick: chat.nick,
    presence: chat.presence,
    room: chat.focus,
    topic: chat.rooms().find((info) => info.name === chat.focus)?.topic ?? '',
    rooms: chat.rooms(),
    lines: chat.history(),
    notices,
    people: chat.who(),
    hubs: chat.hubs(),
    hub: link?.hub,
    input: text,
    scroll,
  });
  const draw = () => {
    scheduled = false;
    if (chat.focus !== room) {
      // Notices belong to the room they were shown in.
      room = chat.focus;
      notices = [];
      scroll = 0;
    }
    const cols = output.columns ?? 80;
    const rows = output.rows ?? 24;
    const current = model();
    const screen = layoutScreen(current, cols, rows)
      .map(
        (row, i) =>
          `\x1b[${i + 1};1H${row.style === undefined ? row.text : `\x1b[${row.style}m${row.text}\x1b[0m`}`,
      )
      .join('');
    const column = cursorColumn({ ...current, input: text.slice(0, cursor) }, cols);
    output.write(`\x1b[?25l${screen}\x1b[${rows};${column + 1}H\x1b[?25h`);
  };
  const redraw = () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(draw, 30);
  };
  const notify = (lines: readonly string[]) => {
    notices = addNotices(notices, lines, Date.now());
    scroll = 0;
    redraw();
  };

  return new Promise((resolve) => {
    let busy = Promise.resolve();
    const offChange = chat.onChange(redraw);
    // Presence ages and the hub connection change without an event: look again each second.
    const tick = setInterval(redraw, 1000);
    const finish = () => {
      offChange();
      clearInterval(tick);
      input.off('keypress', onKey);
      output.off('resize', redraw);
      if (input.isTTY) input.setRawMode(false);
      input.pause();
      output.write('\x1b[?1049l');
      resolve();
    };
    const submit = (line: string) => {
      busy = busy.then(async () => {
        const result = await runCommand(chat, line);
        if (result.quit === true) finish();
        else if (result.notices.length > 0) notify(result.notices);
        else redraw();
      });
    };
    const onKey = (sequence: string | undefined, key: Key = {}) => {
      if (key.ctrl && (key.name === 'c' || key.name === 'd')) return submit('/quit');
      switch (key.name) {
        case 'return':
        case 'enter': {
          const line = text;
          text = '';
          cursor = 0;
          submit(line);
          break;
        }
        case 'backspace':
          if (cursor > 0) {
            text = text.slice(0, cursor - 1) + text.slice(cursor);
            cursor--;
          }
          break;
        case 'delete':
          text = text.slice(0, cursor) + text.slice(cursor + 1);
          break;
        case 'left':
          cursor = Math.max(0, cursor - 1);
          break;
        case 'right':
          cursor = Math.min(text.length, cursor + 1);
          break;
        case 'home':
          cursor = 0;
          break;
        case 'end':
          cursor = text.length;
          break;
        case 'pageup':
          scroll += Math.max(1, (output.rows ?? 24) - 6);
          break;
        case 'pagedown':
          scroll = Math.max(0, scroll - Math.max(1, (output.rows ?? 24) - 6));
          break;
        case 'tab': {
          const joined = chat.rooms().filter((info) => info.joined);
          const at = joined.findIndex((info) => info.name === chat.focus);
          const next = joined[(at + 1) % joined.length];
          if (next !== undefined) chat.focusRoom(next.name);
          break;
        }
        default:
          if (key.ctrl && key.name === 'a') cursor = 0;
          else if (key.ctrl && key.name === 'e') cursor = text.length;
          else if (key.ctrl && key.name === 'u') {
            text = text.slice(cursor);
            cursor = 0;
          } else if (!key.ctrl && !key.meta && sequence !== undefined && /^\P{Cc}+$/u.test(sequence)) {
            text = text.slice(0, cursor) + sequence + text.slice(cursor);
            cursor += sequence.length;
          }
      }
      redraw();
    };
    emitKeypressEvents(input);
    if (input.isTTY) input.setRawMode(true);
    input.on('keypress', onKey);
    input.resume();
    output.on('resize', redraw);
    output.write('\x1b[?1049h\x1b[2J');
    draw();
  });
}
