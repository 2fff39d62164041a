import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

// One config, one project per package. The `@shoal/source` export condition points workspace
// imports at TypeScript sources, so tests never need a build first. Core's own tests use testkit
// and the simulated network, which depend on core; they reach them by alias rather than as
// dependencies, so the package graph stays acyclic.
const packages = [
  'core',
  'testkit',
  'transport-memory',
  'transport-udp',
  'transport-ws',
  'storage-lmdb',
  'node',
  'storage-indexeddb',
  'observe',
];
// Absolute paths: a package's own `test` script runs this config from inside the package.
const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const source = (name: string) => fromRoot(`./packages/${name}/src/index.ts`);

export default defineConfig({
  // Node tests run in vite's SSR environment, which takes its own resolve conditions.
  ssr: { resolve: { conditions: ['@shoal/source'], externalConditions: ['@shoal/source'] } },
  resolve: {
    conditions: ['@shoal/source'],
    alias: {
      '@shoal/testkit': source('testkit'),
      '@shoal/transport-memory': source('transport-memory'),
    },
  },
  test: {
    // Two files at a time: vitest's default in a run is one fewer worker than cores, which on
    // the two-core CI machine ran every file one after another (585 s). Most of the suite's time
    // is multi-process tests that wait on timers, sockets and child processes.
    maxWorkers: 2,
    // A worker keeps the modules it loaded from one test file to the next: importing core
    // afresh for each of its 84 files was most of its 90 s (26 s without). Tests share no
    // state through modules: every node, store and network is made by the test that uses it.
    isolate: false,
    // Generous: CI shares two cores between the two test files running at once.
    testTimeout: 30_000,
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: fromRoot(`./packages/${name}`),
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          // *.browser.test.ts files run inside Chromium, in the `chromium` project below.
          exclude: [...configDefaults.exclude, '**/*.browser.test.ts'],
        },
      })),
      {
        extends: true as const,
        test: { name: 'demo', root: fromRoot('./apps/demo'), include: ['src/**/*.test.ts'] },
      },
      {
        // Spawns real `shoal` processes on loopback; the REPL test skips, saying why, without tmux.
        extends: true as const,
        test: {
          name: 'cli',
          root: fromRoot('./apps/cli'),
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        },
      },
      {
        // The chat app: its model over the simulated network, the terminal client in tmux and
        // the web client in Chromium (those two skip, saying why, where tmux or Chromium lack).
        extends: true as const,
        test: {
          name: 'chat',
          root: fromRoot('./apps/chat'),
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        },
      },
      {
        // The checks `pnpm publish-check` runs on every tarball, fed broken packages.
        extends: true as const,
        test: { name: 'publish', root: fromRoot('./tests/publish'), include: ['*.test.ts'] },
      },
      {
        // Multi-host tests across network namespaces (tests/netlab/netlab.sh); they skip, saying
        // why, where namespaces or nftables are unavailable.
        extends: true as const,
        test: { name: 'netlab', root: fromRoot('./tests/netlab'), include: ['*.test.ts'] },
      },
      // Tests inside headless Chromium (vitest browser mode): every *.browser.test.ts.
      fromRoot('./tests/browser/vitest.chromium.config.ts'),
      {
        // Node-side: builds the browser bundle with esbuild and runs it in Chromium; skips,
        // saying why, where Chromium is absent.
        extends: true as const,
        test: { name: 'browser-bundle', root: fromRoot('./tests/browser'), include: ['bundle/*.test.ts'] },
      },
    ],
  },
});
