import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

/** One browser bundle built in memory, with what the no-Node-built-ins check needs. */
export interface BrowserBundle {
  readonly code: string;
  readonly metafile: Metafile;
  /** Bytes of the (minified when asked) bundle, and of it gzipped at level 9. */
  readonly bytes: number;
  readonly gzipBytes: number;
}

/**
 * Bundles `entry` the way an app's bundler would for a browser: platform `browser` (package
 * `browser` fields and conditions, no Node built-ins available: importing one fails the build),
 * ES modules, workspace packages from their TypeScript sources (`@shoal/source`).
 */
export async function buildBrowserBundle(
  entry: string,
  options: { readonly minify: boolean },
): Promise<BrowserBundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['@shoal/source'],
    minify: options.minify,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  return {
    code: output.text,
    metafile: result.metafile,
    bytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents, { level: 9 }).byteLength,
  };
}

/**
 * Every import a bundle leaves to its host: what esbuild marked external (nothing, for a
 * self-contained bundle) plus any `node:` specifier left in the code text.
 */
export function unresolvedImports(bundle: BrowserBundle): string[] {
  const external = Object.values(bundle.metafile.outputs).flatMap((output) =>
    output.imports.filter((item) => item.external).map((item) => item.path),
  );
  const nodeSpecifiers = [...bundle.code.matchAll(/["'](node:[\w/]+)["']/g)].map(
    (match) => match[1] as string,
  );
  return [...external, ...nodeSpecifiers];
}
