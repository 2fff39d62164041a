import { describe, expect, it } from 'vitest';
import { fileProblems, manifestProblems, readmeExamples, undeclaredImports } from './tarball-checks.js';

const good = {
  name: '@shoal/x',
  description: 'x',
  license: 'MIT',
  types: './dist/index.d.ts',
  engines: { node: '>=20.19' },
  repository: { type: 'git', url: 'git+https://example.invalid/x.git' },
  dependencies: { '@shoal/core': '0.1.0', ws: '8.18.3' },
  peerDependencies: { vitest: '^4.0.10' },
};

// Each failure the CI step exists to catch, fed to the checks it runs on every tarball.
describe('publish checks', () => {
  it('a package packed without its build is refused', () => {
    expect(fileProblems(['package.json', 'LICENSE', 'src/index.ts'], good)).toEqual([
      'no dist/index.js: the package was packed without its build',
      '"types" names ./dist/index.d.ts, which is not in the tarball',
    ]);
    expect(fileProblems(['package.json', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'], good)).toEqual([]);
  });

  it('a leaked workspace or catalog version is refused', () => {
    expect(manifestProblems(good)).toEqual([]);
    expect(
      manifestProblems({
        ...good,
        dependencies: { '@shoal/core': 'workspace:*' },
        devDependencies: { a: 'catalog:' },
      }),
    ).toEqual([
      'dependencies.@shoal/core is "workspace:*": a workspace version leaked',
      'devDependencies.a is "catalog:": a workspace version leaked',
    ]);
  });

  it('an import of a package the manifest does not declare is refused', () => {
    const files = new Map([
      [
        'dist/a.js',
        "import { x } from '@shoal/core';\nimport { readFile } from 'node:fs/promises';\nimport 'fs';\nexport * from './b.js';\nconst w = await import('ws/lib/x.js');",
      ],
      [
        'dist/b.js',
        "import fc from 'fast-check';\nimport { expect } from 'vitest';\nconst m = require('msgpackr');",
      ],
    ]);
    expect(undeclaredImports(files, good)).toEqual([
      'dist/b.js imports "fast-check", which is not a dependency',
      'dist/b.js imports "msgpackr", which is not a dependency',
    ]);
  });

  it('finds the examples of a README and the output they promise', () => {
    const readme = [
      '```ts',
      "import { createNode } from '@shoal/core';",
      'console.log(1 + 1); // → 2',
      '```',
      '```ts',
      'const notAnExample = 1;',
      '```',
    ].join('\n');
    expect(readmeExamples(readme)).toEqual([
      { code: "import { createNode } from '@shoal/core';\nconsole.log(1 + 1); // → 2\n", expected: ['2'] },
    ]);
  });
});
