#!/usr/bin/env node
// The `shoal` bin runs the TypeScript sources through tsx with the workspace's `@shoal/source`
// condition, so it works from a fresh clone without a build (as apps/demo does). Node reads
// `--conditions` only at start-up, hence one child process; it inherits the terminal, and the
// parent forwards termination signals and mirrors the child's exit.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const child = spawn(
  process.execPath,
  ['--conditions=@shoal/source', '--import', import.meta.resolve('tsx'), main, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  // A terminal's Ctrl-C reaches both processes; the child decides what it means.
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
