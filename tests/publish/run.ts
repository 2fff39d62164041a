/**
 * `pnpm publish-check`: what a user installs from the registry works. Packs every published
 * package as `pnpm publish` would (prepack builds it), checks each tarball (its build is in it,
 * no workspace version leaked, every package its code imports is declared), installs the
 * tarballs with plain npm in a temporary project outside the workspace, type-checks every
 * README example there under `nodenext` and `bundler` resolution, and runs the examples that
 * promise output (`// →`), on loopback. Exits 1 naming each problem. Needs the npm registry.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Example,
  fileProblems,
  type Manifest,
  manifestProblems,
  readmeExamples,
  undeclaredImports,
} from './tarball-checks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What the consumer project installs beside the tarballs: the toolchain and testkit's peers. */
const CONSUMER_TOOLS = [
  'typescript@5.9.3',
  '@types/node@20.19.25',
  'tsx@4.20.6',
  'vitest@4.0.10',
  'fast-check@4.3.0',
];

const problems: string[] = [];
const work = mkdtempSync(join(tmpdir(), 'shoal-publish-check-'));
const run = (command: string, args: readonly string[], cwd: string, timeout = 600_000) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout });

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

try {
  const packages = readdirSync(join(ROOT, 'packages'))
    .map((name) => join(ROOT, 'packages', name))
    .filter(
      (dir) =>
        !(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { private?: boolean }).private,
    );
  const tarballs: string[] = [];
  for (const dir of packages) {
    const name = relative(ROOT, dir);
    const before = new Set(readdirSync(work));
    run('pnpm', ['pack', '--pack-destination', work], dir);
    const tarball = readdirSync(work).find((file) => file.endsWith('.tgz') && !before.has(file));
    if (tarball === undefined) {
      problems.push(`${name}: pnpm pack made no tarball`);
      continue;
    }
    tarballs.push(join(work, tarball));
    const unpacked = join(work, `unpacked-${tarball}`);
    mkdirSync(unpacked);
    run('tar', ['-xzf', join(work, tarball), '-C', unpacked], work);
    const root = join(unpacked, 'package');
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
    const files = walk(root).map((path) => relative(root, path));
    const built = new Map(
      files
        .filter((file) => /^dist\/.*\.js$/.test(file))
        .map((file) => [file, readFileSync(join(root, file), 'utf8')]),
    );
    for (const problem of [
      ...manifestProblems(manifest),
      ...fileProblems(files, manifest),
      ...undeclaredImports(built, manifest),
    ]) {
      problems.push(`${manifest.name}: ${problem}`);
    }
    console.log(`packed ${manifest.name}: ${files.length} files`);
  }

  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...CONSUMER_TOOLS],
    consumer,
  );
  console.log(`installed ${tarballs.length} tarballs with npm in ${consumer}`);

  const readmes = [join(ROOT, 'README.md'), ...packages.map((dir) => join(dir, 'README.md'))];
  const examples: { file: string; example: Example; from: string }[] = [];
  for (const readme of readmes) {
    readmeExamples(readFileSync(readme, 'utf8')).forEach((example, index) => {
      const file = `example-${relative(ROOT, readme).replace(/\W+/g, '-')}-${index + 1}.ts`;
      writeFileSync(join(consumer, file), `${example.code}\nexport {};\n`);
      examples.push({ file, example, from: `${relative(ROOT, readme)} example ${index + 1}` });
    });
  }
  const compilerOptions = {
    target: 'es2022',
    lib: ['es2023', 'dom', 'esnext.disposable'],
    types: ['node'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  };
  for (const [resolution, module] of [
    ['nodenext', 'nodenext'],
    ['bundler', 'esnext'],
  ] as const) {
    const config = `tsconfig.${resolution}.json`;
    writeFileSync(
      join(consumer, config),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, module, moduleResolution: resolution },
        include: ['example-*.ts'],
      }),
    );
    try {
      run(join(consumer, 'node_modules/.bin/tsc'), ['-p', config], consumer);
      console.log(`type-checked ${examples.length} README examples under ${resolution} resolution`);
    } catch (error) {
      problems.push(
        `README examples fail to type-check under ${resolution}:\n${(error as { stdout?: string }).stdout ?? error}`,
      );
    }
  }
  for (const { file, example, from } of examples.filter(({ example }) => example.expected.length > 0)) {
    try {
      const printed = run(process.execPath, ['--import', 'tsx', file], consumer, 60_000).replace(/\s+/g, ' ');
      const absent = example.expected.filter((text) => !printed.includes(text.replace(/\s+/g, ' ')));
      if (absent.length > 0)
        problems.push(`${from} did not print: ${absent.join(' | ')}\n(printed: ${printed})`);
      else console.log(`ran ${from}: printed what it promises`);
    } catch (error) {
      problems.push(`${from} failed: ${(error as { stderr?: string }).stderr ?? error}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`publish check: ${problems.length} problem(s)\n${problems.map((p) => `- ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(
  'publish check: every package packs with its build, installs with npm and runs its README examples',
);
