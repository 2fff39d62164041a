/**
 * Hosts for the chat scenario: network namespaces from tests/netlab/netlab.sh (prefix
 * `shoalch`, 10.77.0.0/24 inside them, nothing on the host's interfaces), `shoal` processes
 * inside them, terminal clients in tmux and browsers in Chromium, each on its own host.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const netlabScript = join(repoRoot, 'tests/netlab/netlab.sh');
const shoalBin = join(repoRoot, 'apps/cli/bin/shoal.js');
export const PREFIX = 'shoalch';

/** Why the scenario cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need it)';
  for (const tool of ['nft', 'ip', 'tmux']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is missing`;
  }
  if (!existsSync('/usr/bin/chromium')) return 'chromium is missing (apt-get install chromium)';
  return undefined;
}

/** Runs `netlab.sh ARGS` for this lab; throws with its output on failure. */
export function netlab(...args: string[]): string {
  const result = spawnSync('bash', [netlabScript, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NETLAB_PREFIX: PREFIX },
  });
  if (result.status !== 0) throw new Error(`netlab.sh ${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** The address of host `i`. */
export const hostIp = (i: number) => `10.77.0.${i}`;

/** Runs `shoal ARGS` on the host's root namespace (for data dirs and offline reads); returns stdout. */
export function shoal(...args: string[]): string {
  const result = spawnSync(process.execPath, [shoalBin, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`shoal ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Starts `shoal ARGS` inside host `i`; its output goes to `log`. */
export function shoalOn(i: number, args: readonly string[], log: string[]): ChildProcess {
  const child = spawn('bash', [netlabScript, 'exec', String(i), process.execPath, shoalBin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NETLAB_PREFIX: PREFIX, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      log.push(chunk);
      if (log.length > 400) log.splice(0, 200);
    });
  }
  return child;
}

/** SIGKILLs every process on host `i` (`kill -9` of whatever runs there). */
export function killHost(i: number): void {
  spawnSync('sh', ['-c', `ip netns pids ${PREFIX}-n${i} | xargs -r kill -9`]);
}

/** A Chromium executable that runs inside host `i` (for playwright-core's `executablePath`). */
export function chromiumOn(i: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-chat-chromium-'));
  const path = join(dir, 'chromium');
  writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${PREFIX}-n${i} /usr/bin/chromium "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A terminal of `cols` × `rows` in tmux, running `shoal ARGS` inside host `i`. */
export class TmuxClient {
  readonly session: string;

  constructor(i: number, args: readonly string[], cols = 110, rows = 28) {
    this.session = `${PREFIX}-t${i}-${process.pid}`;
    const command = [
      `NETLAB_PREFIX=${PREFIX}`,
      'bash',
      netlabScript,
      'exec',
      String(i),
      process.execPath,
      shoalBin,
      ...args,
    ].join(' ');
    const started = spawnSync('tmux', [
      'new-session',
      '-d',
      '-s',
      this.session,
      '-x',
      String(cols),
      '-y',
      String(rows),
      `${command}; echo "[exited $?]"; sleep 600`,
    ]);
    if (started.status !== 0) throw new Error(`tmux: ${started.stderr}`);
  }

  /** What the terminal shows now. */
  screen(): string {
    return spawnSync('tmux', ['capture-pane', '-p', '-t', this.session], { encoding: 'utf8' }).stdout;
  }

  /** Types `text` then Enter. */
  type(text: string): void {
    spawnSync('tmux', ['send-keys', '-t', this.session, '-l', text]);
    spawnSync('tmux', ['send-keys', '-t', this.session, 'Enter']);
  }

  /** Resizes the terminal, as a person dragging the window does. */
  resize(cols: number, rows: number): void {
    spawnSync('tmux', ['resize-window', '-t', this.session, '-x', String(cols), '-y', String(rows)]);
  }

  close(): void {
    spawnSync('tmux', ['kill-session', '-t', this.session]);
  }
}

/** Resolves once `check` returns a value other than undefined; rejects after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
