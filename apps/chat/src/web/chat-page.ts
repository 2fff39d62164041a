/**
 * The chat's web client (bundled by esbuild, served at `/chat/` by a hub): a browser node with
 * its replica in IndexedDB and one hub connection that fails over between the hubs
 * `hubs.json` lists, and the same rooms, history and commands as the terminal client. It
 * works offline: messages sent while no hub is reachable are durable here and go out on
 * reconnect.
 */
import { openBrowserNode } from '@shoal/browser';
import { WsClient } from '@shoal/transport-ws/client';
import { runCommand } from '../chat-commands.js';
import { ChatService } from '../chat-service.js';
import { HubLink } from '../hub-link.js';
import { addNotices, interleave, type Notice } from '../notices.js';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** The invite from the URL fragment (kept, then removed from the address bar), or the one kept. */
function inviteFromPage(): string | undefined {
  const fragment = decodeURIComponent(location.hash.slice(1));
  if (fragment.startsWith('shoal://')) {
    localStorage.setItem('shoal-chat-invite', fragment);
    history.replaceState(null, '', location.pathname);
  }
  return localStorage.getItem('shoal-chat-invite') ?? undefined;
}

async function askSetup(): Promise<{ invite: string; nick: string | undefined }> {
  const known = inviteFromPage();
  const nick = localStorage.getItem('shoal-chat-nick') ?? undefined;
  if (known !== undefined) return { invite: known, nick };
  const form = element<HTMLFormElement>('setup');
  form.hidden = false;
  return new Promise((resolve) => {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const invite = element<HTMLInputElement>('invite').value.trim();
      const given = element<HTMLInputElement>('nick').value.trim();
      localStorage.setItem('shoal-chat-invite', invite);
      if (given !== '') localStorage.setItem('shoal-chat-nick', given);
      form.hidden = true;
      resolve({ invite, nick: given === '' ? nick : given });
    });
  });
}

async function main(): Promise<void> {
  const { invite, nick } = await askSetup();
  const { hubs } = (await (await fetch('hubs.json')).json()) as { hubs: string[] };
  const link = new HubLink();
  const node = await openBrowserNode({
    secret: invite,
    dbName: 'shoal-chat',
    ports: [(nodeId) => link.attach(new WsClient({ nodeId, hubs }))],
    membership: { leaf: true },
  });
  const chat = await ChatService.open(node, nick === undefined ? {} : { nick });
  localStorage.setItem('shoal-chat-nick', chat.nick);
  element('chat').hidden = false;
  let notices: Notice[] = [];
  let noticesRoom = chat.focus;
  let scheduled = false;

  const render = () => {
    scheduled = false;
    if (noticesRoom !== chat.focus) {
      notices = [];
      noticesRoom = chat.focus;
    }
    const rooms = chat.rooms();
    element('room-title').textContent = `#${chat.focus}`;
    element('topic').textContent = rooms.find((room) => room.name === chat.focus)?.topic ?? '';
    const leader = chat.hubs().find((hub) => hub.leader)?.id;
    const connection = element('connection');
    connection.textContent = `${link.hub === undefined ? 'offline: reconnecting…' : `hub ${link.hub}`}${leader === undefined ? '' : ` · leader ${leader.slice(0, 8)}`}`;
    connection.classList.toggle('offline', link.hub === undefined);
    element('rooms').replaceChildren(
      ...rooms.map((room) => {
        const item = document.createElement('li');
        item.textContent = `#${room.name}${room.joined ? '' : ' (join)'}`;
        item.dataset.room = room.name;
        if (room.name === chat.focus) item.className = 'focused';
        if (room.unread > 0) {
          const badge = document.createElement('span');
          badge.className = 'unread';
          badge.textContent = String(room.unread);
          item.append(badge);
        }
        item.addEventListener('click', () => {
          if (room.joined) chat.focusRoom(room.name);
          else void chat.join(room.name);
        });
        return item;
      }),
    );
    const pane = element('messages');
    const atBottom = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
    pane.replaceChildren(
      ...interleave(chat.history(), notices).map((item) => {
        const row = document.createElement('div');
        if ('notice' in item) {
          row.className = 'notice';
          row.textContent = item.notice.text;
          return row;
        }
        const line = item.line;
        row.className = `message${line.own ? ' own' : ''}`;
        row.dataset.id = line.id;
        const time = document.createElement('time');
        time.textContent = new Date(line.at).toTimeString().slice(0, 5);
        const who = document.createElement('span');
        who.className = 'nick';
        who.textContent = line.nick;
        const text = document.createElement('span');
        text.className = 'text';
        text.textContent = line.text;
        row.append(time, who, text);
        return row;
      }),
    );
    if (atBottom) pane.scrollTop = pane.scrollHeight;
    element('people').replaceChildren(
      ...chat.who().map((person) => {
        const item = document.createElement('li');
        item.className = `state-${person.state}`;
        item.textContent = `${person.nick}${person.self ? ' (you)' : ''}`;
        return item;
      }),
    );
    element('hubs').replaceChildren(
      ...chat.hubs().map((hub) => {
        const item = document.createElement('li');
        item.className = `state-${hub.state}`;
        item.textContent = `${hub.id.slice(0, 8)}${hub.leader ? ' ★ leader' : ''}`;
        item.title = hub.id;
        return item;
      }),
    );
  };
  const redraw = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(render);
  };
  chat.onChange(redraw);
  setInterval(redraw, 1000);
  element<HTMLFormElement>('compose').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = element<HTMLInputElement>('line');
    const line = input.value;
    input.value = '';
    void runCommand(chat, line).then((result) => {
      if (result.quit === true) {
        void chat.close().then(() => node.dispose());
        element('connection').textContent = 'left the chat';
        return;
      }
      notices = addNotices(notices, result.notices, Date.now());
      redraw();
    });
  });
  addEventListener('pagehide', () => void chat.close());
  render();
  element<HTMLInputElement>('line').focus();
  // For tests and the curious: the running chat.
  (globalThis as { shoalChat?: unknown }).shoalChat = { chat, node, link };
}

main().catch((error: unknown) => {
  document.body.textContent = `shoal chat could not start: ${error instanceof Error ? error.message : String(error)}`;
});
