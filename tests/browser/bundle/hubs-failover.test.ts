import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Coordinator, createInvite } from '@shoal/core';
import { openNode } from '@shoal/node';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumAvailable, chromiumMissing, chromiumPath } from '../chromium.js';
import { buildBrowserBundle } from './build-bundle.js';
import { freePort } from './free-port.js';
import { CHANNEL, MAP, type ReplicaState, readReplica, STREAM } from './replica-state.js';
import { type StaticServer, serveStatic } from './static-server.js';

// Two hub processes, two Chromium pages and a Node client; one hub is SIGKILLed mid-writes.
const here = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
/** One invite token seals every hub, page and client. */
const secret = createInvite({ networkId: 'e2e', secret: new Uint8Array(32).fill(5) });
/** A bound on hangs on a loaded 2-core machine, never a speed claim. */
const WAIT_MS = 45_000;

interface Hub {
  readonly url: string;
  readonly child: ChildProcess;
  readonly dataDir: string;
}

/** Spawns hub-process.ts with node + tsx and resolves once it reports ready. */
function spawnHub(port: number, hubs: readonly string[]): Promise<Hub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shoal-e2e-hub-'));
  const child = spawn(
    process.execPath,
    [
      '--conditions=@shoal/source',
      '--import',
      'tsx',
      here('hub-process.ts'),
      String(port),
      secret,
      dataDir,
      ...hubs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.on('message', (message: { type: string }) => {
      if (message.type === 'ready') resolve({ url: `ws://127.0.0.1:${port}`, child, dataDir });
    });
    child.on('exit', (code, signal) =>
      reject(new Error(`hub on ${port} exited (${code ?? signal}): ${stderr}`)),
    );
  });
}

/** A live hub's replica of the test channel, asked over IPC. */
function hubState(hub: Hub): Promise<ReplicaState> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string; state?: ReplicaState }) => {
      if (message.type !== 'state' || message.state === undefined) return;
      hub.child.off('message', onMessage);
      resolve(message.state);
    };
    hub.child.on('message', onMessage);
    hub.child.send({ type: 'state' });
  });
}

/** Polls `probe` until it is true (conditions, not sleeps); fails with `what` after WAIT_MS. */
async function until(what: () => string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ShoalPage {
  readonly shoal: {
    readonly id: string;
    hub(): string | undefined;
    loaded(): { state: ReplicaState; connected: boolean; ms: number };
    state(): Promise<ReplicaState>;
    write(name: string): Promise<void>;
  };
}
const shoalOf = (page: Page) => ({
  hub: () => page.evaluate(() => (globalThis as unknown as ShoalPage).shoal.hub()),
  loaded: () => page.evaluate(() => (globalThis as unknown as ShoalPage).shoal.loaded()),
  state: () => page.evaluate(() => (globalThis as unknown as ShoalPage).shoal.state()),
  write: (name: string) => page.evaluate((n) => (globalThis as unknown as ShoalPage).shoal.write(n), name),
});

describe.skipIf(!chromiumAvailable())(
  'browsers through two WebSocket hubs, one SIGKILLed',
  { timeout: 120_000 },
  () => {
    let server: StaticServer;
    let browser: Browser;
    const hubs: Hub[] = [];
    const pages: Page[] = [];
    let client: Coordinator;
    const pageErrors: string[] = [];
    /** Every name written anywhere, by anyone: each is a map key and a stream message. */
    const written: string[] = [];

    const pageUrl = (db: string, hubUrls: readonly string[]) =>
      `${server.url}?${new URLSearchParams({ db, hubs: hubUrls.join(','), secret })}`;

    async function openPage(page: Page, db: string, hubUrls: readonly string[]): Promise<void> {
      await page.goto(pageUrl(db, hubUrls));
      await page.waitForFunction(() => 'shoal' in globalThis, undefined, { timeout: WAIT_MS });
    }

    /** Every live replica holds every written name, as map key and stream message. */
    async function converged(replicas: (() => Promise<ReplicaState>)[]): Promise<boolean> {
      const expected = [...written].sort();
      const states = await Promise.all(replicas.map((read) => read()));
      return states.every(
        (state) =>
          JSON.stringify(state.keys) === JSON.stringify(expected) &&
          JSON.stringify(state.messages) === JSON.stringify(expected),
      );
    }

    beforeAll(async () => {
      const bundle = await buildBrowserBundle(here('hubs-entry.ts'), { minify: false });
      server = await serveStatic({
        '/': [
          'text/html',
          '<!doctype html><meta charset="utf-8"><body style="font:14px monospace"><script type="module" src="/bundle.js"></script>',
        ],
        '/bundle.js': ['text/javascript', bundle.code],
      });
      const ports = [await freePort(), await freePort()];
      const urls = ports.map((port) => `ws://127.0.0.1:${port}`);
      hubs.push(...(await Promise.all(ports.map((port) => spawnHub(port, urls)))));
      browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
      for (const db of ['page-a', 'page-b']) {
        const page = await browser.newPage({ viewport: { width: 720, height: 560 } });
        page.on('pageerror', (error) => pageErrors.push(error.message));
        await openPage(page, db, urls);
        pages.push(page);
      }
      client = await openNode({ udp: false, hubs: urls, secret });
    }, 120_000);

    afterAll(async () => {
      for (const hub of hubs) hub.child.kill('SIGKILL');
      await client?.dispose().catch(() => {});
      await browser?.close();
      await server?.close();
      for (const hub of hubs) rmSync(hub.dataDir, { recursive: true, force: true });
    }, 30_000);

    const writeFromClient = async (name: string) => {
      const channel = await client.channel(CHANNEL);
      await Promise.all([
        channel.map(MAP).set(name, { by: 'node' }),
        channel.stream(STREAM).append(new TextEncoder().encode(name)),
      ]);
      written.push(name);
    };
    const writeFromPage = async (index: number, name: string) => {
      await shoalOf(pages[index] as Page).write(name);
      written.push(name);
    };
    const liveReplicas = () => [
      ...pages.map((page) => () => shoalOf(page).state()),
      () => readReplica(client),
      ...hubs
        .filter((hub) => hub.child.exitCode === null && hub.child.signalCode === null)
        .map((hub) => () => hubState(hub)),
    ];

    it('converges writes from two pages and a Node client on every replica, hubs included', async () => {
      for (let n = 0; n < 5; n++) {
        await writeFromPage(0, `a-${n}`);
        await writeFromPage(1, `b-${n}`);
        await writeFromClient(`node-${n}`);
      }
      await until(
        () => `convergence of ${written.length} writes`,
        () => converged(liveReplicas()),
      );
    });

    it('moves a page to the other hub when its hub is SIGKILLed mid-writes, losing nothing', async () => {
      const a = shoalOf(pages[0] as Page);
      const victimUrl = await a.hub();
      const victim = hubs.find((hub) => hub.url === victimUrl);
      expect(victim, `page A's hub ${victimUrl}`).toBeDefined();
      const survivor = hubs.find((hub) => hub !== victim) as Hub;

      // Writers keep going from every replica while the hub dies.
      let writing = true;
      // Paced: an in-memory write resolves in microtasks, and an unpaced loop would starve the event loop.
      const pace = () => new Promise((resolve) => setTimeout(resolve, 25));
      const writeOn = async (write: (n: number) => Promise<void>) => {
        for (let n = 0; writing; n++) {
          await write(n);
          await pace();
        }
      };
      const writers = [
        writeOn((n) => writeFromPage(0, `a-live-${n}`)),
        writeOn((n) => writeFromPage(1, `b-live-${n}`)),
        writeOn((n) => writeFromClient(`node-live-${n}`)),
      ];
      await until(
        () => 'writes before the kill',
        async () => written.length >= 40,
      );
      const killedAt = performance.now();
      victim?.child.kill('SIGKILL');
      await until(
        () => 'page A on the surviving hub',
        async () => (await a.hub()) === survivor.url,
      );
      const failoverMs = performance.now() - killedAt;
      // The page keeps syncing through the new hub: its own writes go on, and new ones arrive.
      const afterFailover = written.length;
      await until(
        () => 'writes after failover',
        async () => written.length >= afterFailover + 30,
      );
      writing = false;
      await Promise.all(writers);
      await until(
        () => `convergence of ${written.length} writes after the kill`,
        () => converged(liveReplicas()),
      );
      console.log(
        `failover: page moved to the surviving hub ${failoverMs.toFixed(0)} ms after SIGKILL; ${written.length} writes converged on 2 pages, the Node client and the surviving hub`,
      );
      expect(await hubState(survivor)).toEqual({ keys: [...written].sort(), messages: [...written].sort() });
    });

    it('reloads a page from IndexedDB before any network, then catches up', async () => {
      const page = pages[1] as Page;
      const before = await shoalOf(page).state();
      // Reopen with the only hub URL pointing at a dead port: what it shows came from IndexedDB.
      await openPage(page, 'page-b', [`ws://127.0.0.1:${await freePort()}`]);
      const offline = await shoalOf(page).loaded();
      expect(offline.connected).toBe(false);
      expect(offline.state).toEqual(before);
      // Meanwhile the others write on; back with the real hubs, the page catches up.
      for (let n = 0; n < 5; n++) await writeFromClient(`node-late-${n}`);
      await openPage(
        page,
        'page-b',
        hubs.map((hub) => hub.url),
      );
      await until(
        () => 'the reloaded page catching up',
        () => converged(liveReplicas()),
      );
      await page.screenshot({
        path: fileURLToPath(new URL('../../../docs/screenshots/browser-hubs.png', import.meta.url)),
      });
      expect(pageErrors).toEqual([]);
    });
  },
);

if (!chromiumAvailable()) it.skip(chromiumMissing, () => {});
