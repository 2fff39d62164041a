import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { chromiumAvailable, chromiumMissing } from '../chromium.js';
import { buildBrowserBundle } from './build-bundle.js';
import { type ChromiumProcess, startChromium } from './chromium-process.js';
import { serveStatic } from './static-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  // Every cleanup runs even when one fails (the profile directory is removed last).
  const failures: unknown[] = [];
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}, 30_000);

interface CrashPage {
  readonly shoalCrash: {
    start(): void;
    acknowledged(): number;
    countWritten(): Promise<number>;
  };
}

async function open(chromium: ChromiumProcess, url: string): Promise<Page> {
  const page = await (chromium.browser.contexts()[0] ?? (await chromium.browser.newContext())).newPage();
  await page.goto(url);
  await page.waitForFunction(() => 'shoalCrash' in globalThis, undefined, { timeout: 20_000 });
  return page;
}

it.skipIf(!chromiumAvailable())(
  'keeps every acknowledged write when the whole browser is SIGKILLed mid-write',
  async () => {
    const bundle = await buildBrowserBundle(fileURLToPath(new URL('./crash-entry.ts', import.meta.url)), {
      minify: false,
    });
    // One server for both runs: IndexedDB belongs to the origin, port included.
    const server = await serveStatic({
      '/': ['text/html', '<!doctype html><script type="module" src="/crash.js"></script>'],
      '/crash.js': ['text/javascript', bundle.code],
    });
    cleanups.push(() => server.close());
    const profile = mkdtempSync(join(tmpdir(), 'shoal-crash-'));
    cleanups.push(() => rmSync(profile, { recursive: true, force: true }));

    const first = await startChromium(profile);
    cleanups.push(() => first.kill());
    const writer = await open(first, server.url);
    await writer.evaluate(() => (globalThis as unknown as CrashPage).shoalCrash.start());
    await writer.waitForFunction(
      () => (globalThis as unknown as CrashPage).shoalCrash.acknowledged() >= 200,
      undefined,
      {
        timeout: 60_000,
      },
    );
    // Read just before the kill: more writes may be acknowledged in between, never fewer.
    const acknowledged = await writer.evaluate(() =>
      (globalThis as unknown as CrashPage).shoalCrash.acknowledged(),
    );
    await first.kill();

    const second = await startChromium(profile);
    cleanups.push(() => second.kill());
    const reader = await open(second, server.url);
    const written = await reader.evaluate(() =>
      (globalThis as unknown as CrashPage).shoalCrash.countWritten(),
    );
    expect(written, `${acknowledged} writes were acknowledged before the kill`).toBeGreaterThanOrEqual(
      acknowledged,
    );
    await second.browser.close();
  },
  // Two browser launches and a stream of fsyncs on a shared, loaded machine: a bound on hangs.
  120_000,
);

if (!chromiumAvailable()) it.skip(chromiumMissing, () => {});
