import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const biome = `${root}node_modules/.bin/biome`;

/** Lints `source` as if it were a file in packages/core/src; returns biome's exit code and output. */
async function lintAsCore(name: string, source: string): Promise<{ code: number; output: string }> {
  const file = fileURLToPath(new URL(`../src/${name}`, import.meta.url));
  await writeFile(file, source);
  try {
    const { stdout, stderr } = await run(biome, ['lint', '--max-diagnostics=50', file], { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  } finally {
    await rm(file, { force: true });
  }
}

describe('the core no-I/O lint rule', () => {
  it('fails on node:* and ws imports, timers, Date.now, performance.now and Math.random', async () => {
    const { code, output } = await lintAsCore(
      'lint-fixture-forbidden.ts',
      [
        "import { readFile } from 'node:fs';",
        "import WebSocket from 'ws';",
        'export const wall = Date.now();',
        'export const mono = performance.now();',
        'export const dice = Math.random();',
        'setTimeout(() => {}, 1);',
        'setInterval(() => {}, 1);',
        'export { readFile, WebSocket };',
        '',
      ].join('\n'),
    );
    expect(code).not.toBe(0);
    expect(output).toContain('core imports no I/O');
    expect(output).toContain('TimerPort.now()');
    expect(output).toContain('RandomPort.next()');
    expect(output).toContain('TimerPort.monotonic()');
    expect(output).toMatch(/setTimeout/);
    expect(output).toMatch(/setInterval/);
  }, 30_000);

  it('accepts core code that reaches time and randomness through ports', async () => {
    const { code, output } = await lintAsCore(
      'lint-fixture-clean.ts',
      [
        "import type { RandomPort } from './ports/random-port.js';",
        "import type { TimerPort } from './ports/timer-port.js';",
        '',
        'export function roll(timers: TimerPort, random: RandomPort): number {',
        '  return timers.now() + random.next() + Math.max(1, 2);',
        '}',
        '',
      ].join('\n'),
    );
    expect(output).not.toContain('core imports no I/O');
    expect(code).toBe(0);
  }, 30_000);
});
