import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';

/** One ```ts block of a README, with the output its `// →` comments promise. */
export interface ReadmeExample {
  readonly code: string;
  readonly expected: string[];
}

/** The ```ts blocks of `readme` that import something: the runnable examples. */
export function readmeExamples(readme: string): ReadmeExample[] {
  const blocks = [...readFileSync(readme, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map(
    (match) => match[1] as string,
  );
  return blocks
    .filter((code) => /^import /m.test(code))
    .map((code) => ({
      code,
      expected: [...code.matchAll(/console\.log\(.*\);\s*\/\/ → (.*)$/gm)].map((match) =>
        (match[1] as string).trim(),
      ),
    }));
}

/**
 * Runs an example as a module beside `dir` (so its imports resolve as the package's own do),
 * and returns what it printed with `console.log`, one line per call, values shown as
 * `util.inspect` shows them on one line.
 */
export async function runExample(example: ReadmeExample, dir: string, name: string): Promise<string[]> {
  const printed: string[] = [];
  const key = `__readmeLog_${name.replace(/\W/g, '_')}`;
  (globalThis as Record<string, unknown>)[key] = (...args: unknown[]) =>
    printed.push(
      args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { breakLength: Infinity }))).join(' '),
    );
  const file = join(dir, '.readme', `${name}.ts`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, example.code.replace(/console\.log\(/g, `(globalThis as any).${key}(`));
  await import(/* @vite-ignore */ file);
  return printed;
}
