import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineProject } from 'vitest/config';
import { chromiumArgs, chromiumAvailable, chromiumMissing, chromiumPath } from './chromium.js';

// The in-browser project: test files named *.browser.test.ts run inside headless Chromium
// through vitest's browser mode, so suites written for vitest (the KeyValueStore conformance
// suite among them) run unchanged against real IndexedDB, and a failing assertion fails the run
// as any test does. Without Chromium the project shrinks to one skipped test saying why.
const root = fileURLToPath(new URL('../..', import.meta.url));
const name = 'chromium';
const conditions = ['@shoal/source'];
const available = chromiumAvailable();
if (!available) console.warn(chromiumMissing);

export default available
  ? defineProject({
      resolve: { conditions },
      test: {
        name,
        root,
        include: ['packages/*/test/**/*.browser.test.ts'],
        testTimeout: 30_000,
        hookTimeout: 30_000,
        browser: {
          enabled: true,
          headless: true,
          // The page loads tests from vitest's server: on loopback, never another address.
          api: { host: '127.0.0.1' },
          screenshotFailures: false,
          provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
          instances: [{ browser: 'chromium' }],
        },
      },
    })
  : defineProject({
      test: { name, root, include: ['tests/browser/chromium-missing.test.ts'] },
    });
