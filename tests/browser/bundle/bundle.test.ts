import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumAvailable, chromiumMissing, chromiumPath } from '../chromium.js';
import { buildBrowserBundle, unresolvedImports } from './build-bundle.js';
import { type StaticServer, serveStatic } from './static-server.js';

const entry = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

describe('the browser bundle', () => {
  it('bundles core, the IndexedDB store and @shoal/browser for the browser with no Node built-in', async () => {
    for (const name of ['library-entry.ts', 'app-entry.ts', 'page-entry.ts']) {
      const bundle = await buildBrowserBundle(entry(name), { minify: true });
      expect(unresolvedImports(bundle), `${name} leaves imports to its host`).toEqual([]);
      const inputs = Object.keys(bundle.metafile.inputs);
      expect(inputs.some((input) => input.includes('packages/core/src/'))).toBe(true);
    }
  });

  it('fails to build, naming the module, when a Node built-in is reached', async () => {
    const failing = buildBrowserBundle(entry('node-builtin-entry.ts'), { minify: false });
    await expect(failing).rejects.toThrow(/node:fs/);
  });
});

// Generous: a browser launch and two nodes on a shared, loaded machine (a bound on hangs).
describe.skipIf(!chromiumAvailable())('the browser bundle in Chromium', { timeout: 90_000 }, () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const bundle = await buildBrowserBundle(entry('page-entry.ts'), { minify: false });
    server = await serveStatic({
      '/': ['text/html', '<!doctype html><script type="module" src="/bundle.js"></script>'],
      '/bundle.js': ['text/javascript', bundle.code],
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, 30_000);

  /** Loads the page and waits for the bundle to install `window.shoal`. */
  async function load(action: 'goto' | 'reload'): Promise<void> {
    if (action === 'goto') await page.goto(server.url);
    else await page.reload();
    await page.waitForFunction(() => 'shoal' in globalThis, undefined, { timeout: 20_000 });
  }

  it('fails a test with the page’s own message when code in the page throws', async () => {
    await load('goto');
    await expect(
      page.evaluate(async () => {
        throw new Error('thrown inside Chromium');
      }),
    ).rejects.toThrow('thrown inside Chromium');
  });

  it('syncs two nodes in the page, and a reload brings their state back from IndexedDB', async () => {
    await load('goto');
    // A rejection inside the page rejects evaluate with the page's message, failing this test.
    const synced = await page.evaluate(() => (globalThis as unknown as ShoalPage).shoal.syncTwoNodes());
    const expected = ['alice', 'bob'].flatMap((name, by) =>
      Array.from({ length: 20 }, (_, key) => [`${name}-${key}`, { key, by }] as const),
    );
    const sorted = [...expected].sort(([a], [b]) => (a < b ? -1 : 1));
    expect(synced.alice).toEqual(sorted);
    expect(synced.bob).toEqual(sorted);

    await load('reload');
    const loaded = await page.evaluate(() => (globalThis as unknown as ShoalPage).shoal.readBack());
    expect(loaded).toEqual(synced);
    expect(pageErrors).toEqual([]);
  });
});

if (!chromiumAvailable()) it.skip(chromiumMissing, () => {});

/** What page-entry.ts installs on the page. */
interface ShoalPage {
  readonly shoal: {
    syncTwoNodes(): Promise<Record<'alice' | 'bob', [string, unknown][]>>;
    readBack(): Promise<Record<'alice' | 'bob', [string, unknown][]>>;
  };
}
