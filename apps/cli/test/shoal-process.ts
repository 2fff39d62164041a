import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real `shoal` bin, as a user runs it from a clone. */
export const SHOAL_BIN = fileURLToPath(new URL('../bin/shoal.js', import.meta.url));

/** What a finished `shoal` process left. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  /** stdout as bytes, for commands that print binary (`export`). */
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

/** Environment for spawned commands: no colours, no inherited data dir. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.SHOAL_DIR;
  return env;
}

/** Runs `shoal ...args` to completion (optionally feeding `stdin`). */
export function shoal(
  args: readonly string[],
  options: { stdin?: string | Uint8Array; cwd?: string } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SHOAL_BIN, ...args], {
      env: childEnv(),
      cwd: options.cwd ?? tmpdir(),
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(stdout);
      resolve({ code, stdout: stdoutBytes.toString(), stdoutBytes, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A long-running `shoal` process (agent, watch, tail -f) with its output so far. */
export class Running {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [SHOAL_BIN, ...args], { env: childEnv(), cwd: tmpdir() });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Complete stdout lines parsed as JSON (for `--json` processes). */
  records(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Resolves once `predicate` holds for the output, polling; rejects after `timeoutMs`. */
  async waitFor(predicate: (self: Running) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; stdout: ${this.stdout}; stderr: ${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** A fresh temporary directory, and a multicast port private to one test's network. */
export function scratch(): { root: string; multicastPort: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'shoal-cli-'));
  return {
    root,
    multicastPort: String(40_000 + Math.floor(Math.random() * 20_000)),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
