// Prints the browser bundle sizes recorded in docs/benchmarks.md:
//   pnpm --filter @shoal/browser-tests bundle-size
import { fileURLToPath } from 'node:url';
import { buildBrowserBundle, unresolvedImports } from './build-bundle.js';

const entries = [
  ['app-entry.ts', 'an app: `openBrowserNode`, a map and a stream (tree-shaken)'],
  ['library-entry.ts', 'everything: `export *` of core, storage-indexeddb and browser'],
] as const;

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
console.log('| bundle | minified | minified + gzip -9 |');
console.log('| --- | ---: | ---: |');
for (const [file, what] of entries) {
  const bundle = await buildBrowserBundle(fileURLToPath(new URL(`./${file}`, import.meta.url)), {
    minify: true,
  });
  if (unresolvedImports(bundle).length > 0) throw new Error(`${file} imports ${unresolvedImports(bundle)}`);
  console.log(`| ${what} | ${kib(bundle.bytes)} | ${kib(bundle.gzipBytes)} |`);
}
