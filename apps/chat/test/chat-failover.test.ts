import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumOn,
  hostIp,
  killHost,
  labUnavailable,
  netlab,
  repoRoot,
  shoal,
  shoalOn,
  TmuxClient,
  waitUntil,
} from './chat-lab.js';

// Issue 17's scenario on seven network-namespace hosts: hubs on 1-3 (`shoal agent --chat`),
// terminal clients on 4-5 (`shoal chat` in tmux), browsers on 6-7 (Chromium, the page a hub
// serves). Kill -9 the hub two clients use, partition another, heal, restart the first; at the
// end every message is on every replica exactly once and in the same order.
const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`chat failover scenario skipped: ${unavailable}`);

const HUBS = [1, 2, 3];
const hubUrl = (i: number) => `ws://${hostIp(i)}:8080`;
const TOKEN = 'chat-scenario-token-0123';

interface Client {
  readonly name: string;
  /** The hub it is on now (undefined while between hubs). */
  hub(): Promise<string | undefined>;
  say(text: string): Promise<void>;
  command(line: string): Promise<void>;
}

describe.skipIf(unavailable !== undefined)('chat on three hubs across hosts', () => {
  const root = mkdtempSync(join(tmpdir(), 'shoal-chat-scenario-'));
  const dir = (name: string) => join(root, name);
  const logs = new Map<number, string[]>();
  const hubs = new Map<number, ChildProcess>();
  const terminals: TmuxClient[] = [];
  const browsers: Browser[] = [];
  const pages: Page[] = [];
  const clients: Client[] = [];
  const sent: { room: string; text: string }[] = [];

  const startHub = (i: number) => {
    // A fresh log per start: a restart waits for its own "listening" line.
    const log: string[] = [];
    logs.set(i, log);
    const others = HUBS.filter((j) => j !== i).map(hubUrl);
    hubs.set(
      i,
      shoalOn(
        i,
        [
          'agent',
          '--dir',
          dir(`h${i}`),
          '--no-udp',
          '--ws-listen',
          `${hostIp(i)}:8080`,
          '--http',
          `${hostIp(i)}:9090`,
          '--http-token',
          TOKEN,
          '--chat',
          '--hubs',
          ...others,
        ],
        log,
      ),
    );
    return waitUntil(
      () => (log.join('').includes('WebSocket hub listening') ? true : undefined),
      `hub ${i} to start`,
    );
  };

  beforeAll(async () => {
    netlab('down');
    netlab('up', '7');
    shoal('init', '--dir', dir('h1'), '--name', 'chat', '--no-udp');
    const invite = (shoal('invite', '--dir', dir('h1')).match(/shoal:\/\/\S+/) ?? [''])[0];
    // t5 joins from `shoal chat --invite` itself, as a newcomer would.
    for (const name of ['h2', 'h3', 't4']) shoal('join', invite, '--dir', dir(name), '--no-udp');
    await Promise.all(HUBS.map(startHub));
    for (const i of [4, 5]) {
      const terminal = new TmuxClient(i, [
        'chat',
        '--dir',
        dir(`t${i}`),
        '--nick',
        `term${i}`,
        ...(i === 5 ? ['--invite', `'${invite}'`] : []),
        '--hubs',
        ...HUBS.map(hubUrl),
      ]);
      terminals.push(terminal);
      const current = () =>
        terminal
          .screen()
          .split('\n')[0]
          ?.match(/hub (ws:\/\/[\d.:]+)/)?.[1];
      clients.push({
        name: `term${i}`,
        hub: async () => current(),
        say: async (text) => terminal.type(text),
        command: async (line) => terminal.type(line),
      });
    }
    for (const i of [6, 7]) {
      const browser = await chromium.launch({ executablePath: chromiumOn(i), args: ['--no-sandbox'] });
      browsers.push(browser);
      const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
      pages.push(page);
      // Each page is served by a different hub. web6's invite rides in the fragment, never sent;
      // web7 is opened bare and joins through the form, as someone handed the invite would.
      const page7 = i === 7;
      await page.goto(`http://${hostIp(i - 5)}:9090/chat/${page7 ? '' : `#${encodeURIComponent(invite)}`}`);
      if (page7) {
        await page.waitForSelector('#setup', { state: 'visible', timeout: 60_000 });
        expect(await page.isVisible('#chat')).toBe(false);
        await page.fill('#invite', invite);
        await page.fill('#nick', `web${i}`);
        await page.click('#setup button');
      }
      await page.waitForSelector('#chat', { state: 'visible', timeout: 60_000 });
      expect(await page.isVisible('#setup')).toBe(false);
      const type = async (line: string) => {
        await page.fill('#line', line);
        await page.press('#line', 'Enter');
      };
      if (!page7) await type(`/nick web${i}`);
      clients.push({
        name: `web${i}`,
        hub: () =>
          page.evaluate(() => (globalThis as { shoalChat?: { link: { hub?: string } } }).shoalChat?.link.hub),
        say: type,
        command: type,
      });
    }
    for (const client of clients) await waitUntil(() => client.hub(), `${client.name} to reach a hub`);
  }, 240_000);

  afterAll(async () => {
    for (const browser of browsers) await browser.close().catch(() => {});
    for (const terminal of terminals) terminal.close();
    for (const hub of hubs.values()) hub.kill('SIGKILL');
    netlab('down');
    rmSync(root, { recursive: true, force: true });
  });

  /** Every client says one message in `room` (a room it joined). */
  const round = async (room: string, label: string) => {
    for (const client of clients) {
      const text = `${client.name} ${label}`;
      await client.command(`/switch ${room}`);
      await client.say(text);
      sent.push({ room, text });
    }
  };

  it('keeps every message, once and in one order, through a killed hub and a partition', async () => {
    await round('general', 'hello');
    for (const client of clients) await client.command('/join random');
    await round('random', 'in random');
    await round('general', 'before the kill');

    // Kill -9 the hub with the most clients (four clients on three hubs: at least two).
    const on = new Map<string, Client[]>();
    for (const client of clients) {
      const hub = (await client.hub()) as string;
      on.set(hub, [...(on.get(hub) ?? []), client]);
    }
    const [victimUrl, moved] = [...on.entries()].sort((a, b) => b[1].length - a[1].length)[0] as [
      string,
      Client[],
    ];
    const victim = HUBS.find((i) => hubUrl(i) === victimUrl) as number;
    const killedAt = Date.now();
    killHost(victim);
    const failover = await Promise.all(
      moved.map(async (client) => {
        await waitUntil(async () => {
          const hub = await client.hub();
          return hub !== undefined && hub !== victimUrl ? hub : undefined;
        }, `${client.name} to leave the killed hub`);
        return Date.now() - killedAt;
      }),
    );
    console.log(
      `failover after kill -9 of hub ${victim}: ${failover.map((ms) => `${ms} ms`).join(', ')} (${moved.map((c) => c.name).join(', ')})`,
    );
    expect(moved.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...failover)).toBeLessThan(5000);
    await round('general', 'after the kill');

    // Partition a surviving hub from every other host, chat on, heal.
    const cut = HUBS.find((i) => i !== victim) as number;
    netlab('partition', String(cut), [1, 2, 3, 4, 5, 6, 7].filter((i) => i !== cut).join(','));
    await round('general', 'during the partition');
    await new Promise((done) => setTimeout(done, 4000));
    netlab('heal');
    await round('random', 'after the heal');
    await startHub(victim);

    // A browser offline (its host cut from every other): it keeps chatting, and catches up.
    const offline = clients.find((client) => client.name === 'web7') as Client;
    netlab('partition', '7', '1,2,3,4,5,6');
    await waitUntil(
      async () => ((await offline.hub()) === undefined ? true : undefined),
      'web7 to notice it is offline',
    );
    await offline.command('/switch general');
    await offline.say('web7 while offline');
    sent.push({ room: 'general', text: 'web7 while offline' });
    netlab('heal');

    // Kill -9 the leading hub: another takes over the housekeeping within failure detection.
    const ids = new Map(
      HUBS.map((i) => [
        i,
        (logs
          .get(i)
          ?.join('')
          .match(/agent ([0-9a-f]+) running/) ?? [])[1] as string,
      ]),
    );
    const leader = HUBS.reduce((a, b) => ((ids.get(a) as string) > (ids.get(b) as string) ? a : b));
    const mark = new Map(HUBS.map((i) => [i, logs.get(i)?.length ?? 0]));
    const leaderKilledAt = Date.now();
    killHost(leader);
    const successor = await waitUntil(
      () =>
        HUBS.find((i) => i !== leader && logs.get(i)?.slice(mark.get(i)).join('').includes('this hub leads')),
      'another hub to take over the housekeeping',
    );
    const takeover = Date.now() - leaderKilledAt;
    console.log(`leader hub ${leader} killed: hub ${successor} leads after ${takeover} ms`);
    expect(successor).toBeDefined();
    expect(takeover).toBeLessThan(15_000);
    await startHub(leader);

    // A terminal resized mid-session redraws to its new size.
    terminals[0]?.resize(80, 20);
    await waitUntil(() => {
      const rows =
        terminals[0]
          ?.screen()
          .split('\n')
          .filter((row) => row !== '') ?? [];
      return rows.length === 20 &&
        rows.every((row) => [...row].length <= 80) &&
        rows[0]?.includes('shoal chat')
        ? true
        : undefined;
    }, 'the resized terminal to redraw at 80 × 20');

    const expected = (room: string) =>
      sent
        .filter((m) => m.room === room)
        .map((m) => m.text)
        .sort();
    const pageHistory = (page: Page, room: string) =>
      page.evaluate(
        (name) =>
          (
            globalThis as unknown as {
              shoalChat: { chat: { history(room: string): { id: string; text: string }[] } };
            }
          ).shoalChat.chat
            .history(name)
            .map((line) => `${line.id} ${line.text}`),
        room,
      );
    const hubHistory = (i: number, room: string) =>
      streamOf(shoal('tail', `chat/room:${room}`, '-n', '100000', '--json', '--dir', dir(`h${i}`)));
    for (const room of ['general', 'random']) {
      let last = 'nothing read yet';
      await waitUntil(
        async () => {
          try {
            const all = [
              ...(await Promise.all(pages.map((page) => pageHistory(page, room)))),
              ...HUBS.map((i) => hubHistory(i, room)),
            ];
            last = all
              .map((lines, i) => `replica ${i}: ${describeDifference(lines, expected(room))}`)
              .join('; ');
            return all.every((lines) => sameTexts(lines, expected(room))) ? true : undefined;
          } catch (error) {
            last = String(error);
            return undefined; // a hub still starting
          }
        },
        `every browser and hub to hold every message of #${room}`,
        90_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${last}`);
      });
    }
    // What a person sees: the newest messages on both kinds of screen.
    await waitUntil(
      () => (terminals.every((t) => t.screen().includes('after the heal')) ? true : undefined),
      'the terminals to show the latest messages',
    );
    expect(await pages[0]?.textContent('#messages')).toContain('after the heal');
    if (process.env.SHOAL_SCREENSHOTS === '1') {
      writeFileSync(join(repoRoot, 'apps/chat/docs/terminal.txt'), terminals[0]?.screen() ?? '');
      await pages[0]?.screenshot({ path: join(repoRoot, 'apps/chat/docs/web.png') });
    }
    for (const terminal of terminals) terminal.type('/quit');
    for (const room of ['general', 'random']) {
      const terminalsHistory = await Promise.all(
        [4, 5].map((i) =>
          waitUntil(() => {
            try {
              return streamOf(
                shoal('tail', `chat/room:${room}`, '-n', '100000', '--json', '--dir', dir(`t${i}`)),
              );
            } catch {
              return undefined; // still open by the quitting client
            }
          }, `terminal ${i}'s replica`),
        ),
      );
      const replicas = [
        ...(await Promise.all(pages.map((page) => pageHistory(page, room)))),
        ...HUBS.map((i) => hubHistory(i, room)),
        ...terminalsHistory,
      ];
      for (const lines of replicas) {
        expect(sameTexts(lines, expected(room))).toBe(true);
        // One order everywhere: the same ids in the same sequence.
        expect(lines).toEqual(replicas[0]);
      }
    }
  }, 400_000);
});

/** `shoal tail --json` output as `author:seq text` lines, in the stream's order. */
function streamOf(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const entry = JSON.parse(line) as { author: string; seq: number; text: string };
      return `${entry.author}:${entry.seq} ${(JSON.parse(entry.text) as { text: string }).text}`;
    });
}

/** True when `lines` hold exactly the `expected` texts, each once. */
function sameTexts(lines: readonly string[], expected: readonly string[]): boolean {
  const texts = lines.map((line) => line.slice(line.indexOf(' ') + 1)).sort();
  return texts.length === expected.length && texts.every((text, i) => text === expected[i]);
}

/** What `lines` lack of `expected` and hold beyond it, for a failure message. */
function describeDifference(lines: readonly string[], expected: readonly string[]): string {
  const texts = lines.map((line) => line.slice(line.indexOf(' ') + 1));
  const missing = expected.filter((text) => !texts.includes(text));
  const extra = texts.filter((text, i) => !expected.includes(text) || texts.indexOf(text) !== i);
  return missing.length === 0 && extra.length === 0
    ? 'ok'
    : `missing [${missing.join(', ')}] extra [${extra.join(', ')}]`;
}
