import { builtinModules } from 'node:module';

/** The parts of a package.json the checks read. */
export interface Manifest {
  readonly name: string;
  readonly description?: string;
  readonly license?: string;
  readonly types?: string;
  readonly engines?: Record<string, string>;
  readonly repository?: unknown;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

const DEPENDENCY_FIELDS = [
  'dependencies',
  'peerDependencies',
  'optionalDependencies',
  'devDependencies',
] as const;

/**
 * What is wrong with a packed package.json: a `workspace:` or `catalog:` version leaked (npm
 * cannot install it), or metadata a registry user relies on missing.
 */
export function manifestProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  for (const field of DEPENDENCY_FIELDS) {
    for (const [name, version] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|catalog):/.test(version))
        problems.push(`${field}.${name} is "${version}": a workspace version leaked`);
    }
  }
  for (const field of ['description', 'license', 'types', 'engines', 'repository'] as const) {
    if (manifest[field] === undefined) problems.push(`no "${field}"`);
  }
  return problems;
}

/** What is wrong with the list of files in a tarball (paths relative to its `package/`). */
export function fileProblems(files: readonly string[], manifest: Manifest): string[] {
  const problems: string[] = [];
  const has = new Set(files);
  if (!has.has('dist/index.js')) problems.push('no dist/index.js: the package was packed without its build');
  if (manifest.types !== undefined && !has.has(manifest.types.replace(/^\.\//, ''))) {
    problems.push(`"types" names ${manifest.types}, which is not in the tarball`);
  }
  if (!has.has('LICENSE')) problems.push('no LICENSE file');
  const tests = files.filter((file) => /\.test\.[cm]?[jt]s$/.test(file));
  if (tests.length > 0) problems.push(`test files published: ${tests.slice(0, 3).join(', ')}`);
  return problems;
}

/** A bare specifier as npm names packages: `name` or `@scope/name`, then any subpath. */
const PACKAGE_SPECIFIER = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*(?:\/.*)?$/;

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** The package a bare import specifier names: `a` of `a/b`, `@s/a` of `@s/a/b`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

/**
 * Packages the built code imports (static `import`/`export … from`, dynamic `import('…')`,
 * `require('…')`) that the manifest does not declare in `dependencies`, `peerDependencies` or
 * `optionalDependencies`: a consumer would get ERR_MODULE_NOT_FOUND. `files` maps each built
 * JavaScript file's path to its text.
 */
export function undeclaredImports(files: ReadonlyMap<string, string>, manifest: Manifest): string[] {
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const missing = new Map<string, string>();
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"\s]+)['"]/g;
  for (const [path, text] of files) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1] as string;
      if (specifier.startsWith('.') || specifier.startsWith('/') || BUILTINS.has(specifier)) continue;
      if (!PACKAGE_SPECIFIER.test(specifier)) continue; // prose in a comment, not an import
      const name = packageOf(specifier);
      if (!declared.has(name) && !missing.has(name)) missing.set(name, path);
    }
  }
  return [...missing].map(([name, path]) => `${path} imports "${name}", which is not a dependency`);
}

/** A README's TypeScript examples that import a Shoal package, and the output each promises. */
export interface Example {
  readonly code: string;
  /** `console.log(…); // → text` comments: each text must appear in what the example prints. */
  readonly expected: readonly string[];
}

/** The ```ts blocks of a README that import from `@shoal/…`. */
export function readmeExamples(readme: string): Example[] {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((match) => match[1] as string)
    .filter((code) => /from '@shoal\//.test(code))
    .map((code) => ({
      code,
      expected: [...code.matchAll(/console\.log\(.*\);\s*\/\/ → (.*)$/gm)].map((m) =>
        (m[1] as string).trim(),
      ),
    }));
}
