import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One config, one project per package. The `@shoal/source` export condition points workspace
// imports at TypeScript sources, so tests never need a build first. Core's own tests use testkit
// and the simulated network, which depend on core; they reach them by alias rather than as
// dependencies, so the package graph stays acyclic.
const packages = ['core', 'testkit', 'transport-memory', 'transport-udp', 'storage-lmdb', 'node'];
const source = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

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
    // Generous: CI shares two cores between every test file running at once.
    testTimeout: 30_000,
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name, root: `packages/${name}`, include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
      })),
      {
        extends: true as const,
        test: { name: 'demo', root: 'apps/demo', include: ['src/**/*.test.ts'] },
      },
      {
        // Spawns real `shoal` processes on loopback; the REPL test skips, saying why, without tmux.
        extends: true as const,
        test: { name: 'cli', root: 'apps/cli', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
      },
      {
        // Multi-host tests across network namespaces (../shared/netlab.sh); they skip, saying
        // why, where namespaces or nftables are unavailable.
        extends: true as const,
        test: { name: 'netlab', root: 'tests/netlab', include: ['*.test.ts'] },
      },
    ],
  },
});
