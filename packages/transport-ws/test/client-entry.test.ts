import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Every module specifier reachable from `entry` through relative imports (type-only ones too). */
function reachableImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const specifiers = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:import|export)[^'"]*?from\s*'([^']+)'/g)) {
      const specifier = match[1] as string;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else specifiers.add(specifier);
    }
  };
  visit(resolve(src, entry));
  return specifiers;
}

it('the browser entry (@shoal/transport-ws/client) reaches no Node built-in and not `ws`', () => {
  const imports = reachableImports('client-entry.ts');
  // Core is pure (no I/O), its ports entry too.
  expect([...imports].sort()).toEqual(['@shoal/core', '@shoal/core/ports']);
});

it('the Node entry does reach the hub (a check that the walk above follows imports)', () => {
  const imports = reachableImports('index.ts');
  expect(imports.has('ws')).toBe(true);
  expect([...imports].some((specifier) => specifier.startsWith('node:'))).toBe(true);
});
