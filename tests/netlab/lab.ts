/**
 * Test-side harness for the netlab integration tests: drives `netlab.sh` (namespaces, faults)
 * and the `node-main.ts` processes running inside it, whose JSON status lines it parses.
 *
 * The lab uses its own namespace prefix (`NETLAB_PREFIX`, default `shoalnl`), so these tests
 * never touch a lab someone built by hand with the default `lab` prefix, and `down` only
 * removes ours. Every address is 10.77.0.0/24 inside those namespaces: nothing reaches the host.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = fileURLToPath(new URL('.', import.meta.url));
export const repoRoot = resolve(here, '../..');
export const netlabScript = resolve(here, 'netlab.sh');
export const nodeMain = resolve(here, 'node-main.ts');
export const prefix = process.env.NETLAB_PREFIX ?? 'shoalnl';

export interface Status {
  readonly type: 'status';
  readonly index: number;
  readonly id: string;
  readonly time: number;
  readonly alive: readonly string[];
  readonly members: readonly { readonly id: string; readonly state: string }[];
  readonly digest: string;
  readonly keys: readonly string[];
  readonly keyCount: number;
  readonly streamLength: number;
  readonly big: Readonly<Record<string, number>>;
  readonly dropped: Readonly<Record<string, number>>;
  readonly opened: number;
  readonly badMessages: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly healthy: boolean;
}

/** Why the lab cannot run here, or undefined when it can. Probes with a throwaway namespace. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces need it)';
  if (!existsSync(netlabScript)) return `netlab.sh not found at ${netlabScript}`;
  const sh = (command: string) => spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 10_000 });
  if (sh('command -v nft').status !== 0) return 'nft (nftables) is missing: apt-get install -y nftables';
  if (sh('command -v ip').status !== 0) return 'ip (iproute2) is missing';
  const probe = `${prefix}-probe${process.pid}`;
  const added = sh(`ip netns add ${probe}`);
  if (added.status !== 0)
    return `ip netns add fails: ${(added.stderr ?? '').trim() || `exit ${added.status}`}`;
  sh(`ip netns del ${probe}`);
  return undefined;
}

/** Runs `netlab.sh ARGS` with our prefix; throws with its output when it fails. */
export function netlab(...args: string[]): string {
  const result = spawnSync('bash', [netlabScript, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NETLAB_PREFIX: prefix },
  });
  if (result.status !== 0) {
    throw new Error(
      `netlab.sh ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

/** Like {@link netlab} but never throws: for teardown. */
export function netlabQuiet(...args: string[]): void {
  spawnSync('bash', [netlabScript, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NETLAB_PREFIX: prefix },
  });
}

export interface NodeOptions {
  readonly index: number;
  readonly secret: string;
  readonly keys?: number;
  readonly appends?: number;
  readonly bigBytes?: number;
  /** Run as a WebSocket hub (no UDP) meshed with hubs on hosts 1..`hubs`. */
  readonly hubs?: number;
}

/** One node-main process inside namespace `${prefix}-nI`. */
export class LabNode {
  readonly index: number;
  readonly statuses: Status[] = [];
  readonly stderr: string[] = [];
  readonly other: object[] = [];
  latest: Status | undefined;
  /** When (local clock) the latest status arrived. */
  latestAt = 0;
  exited: number | null | undefined;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #dataDir: string;

  constructor(options: NodeOptions) {
    this.index = options.index;
    this.#dataDir = mkdtempSync(join(tmpdir(), `shoal-netlab-n${options.index}-`));
    const args = [
      netlabScript,
      'exec',
      String(options.index),
      process.execPath,
      '--conditions=@shoal/source',
      '--import',
      'tsx',
      nodeMain,
      '--index',
      String(options.index),
      '--secret',
      options.secret,
      '--data-dir',
      this.#dataDir,
      '--keys',
      String(options.keys ?? 3),
      '--appends',
      String(options.appends ?? 2),
      '--big-bytes',
      String(options.bigBytes ?? 0),
      ...(options.hubs === undefined ? [] : ['--hubs', String(options.hubs)]),
    ];
    // cwd = repo root, so `--import tsx` resolves from the root node_modules.
    this.#child = spawn('bash', args, {
      cwd: repoRoot,
      env: { ...process.env, NETLAB_PREFIX: prefix },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.#child.stdout.setEncoding('utf8');
    this.#child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        this.#line(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (chunk: string) => {
      this.stderr.push(chunk);
      if (this.stderr.length > 200) this.stderr.shift();
    });
    this.#child.on('exit', (code) => {
      this.exited = code;
    });
    this.#child.stdin.on('error', () => {});
  }

  #line(line: string): void {
    let parsed: { type?: string };
    try {
      parsed = JSON.parse(line);
    } catch {
      this.other.push({ type: 'text', line });
      return;
    }
    if (parsed.type === 'status') {
      const status = parsed as Status;
      this.statuses.push(status);
      if (this.statuses.length > 2000) this.statuses.splice(0, 1000);
      this.latest = status;
      this.latestAt = Date.now();
    } else {
      this.other.push(parsed);
    }
  }

  /** The node's id, once it reported. */
  get id(): string | undefined {
    return this.latest?.id;
  }

  /** Sends one command line to the node (see node-main.ts). */
  command(command: object): void {
    this.#child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** A status received at or after `since` (local clock), or undefined. */
  freshSince(since: number): Status | undefined {
    return this.latestAt >= since ? this.latest : undefined;
  }

  describe(): string {
    const s = this.latest;
    const tail = [...this.other.slice(-3).map((o) => JSON.stringify(o)), this.stderr.join('').slice(-600)];
    if (s === undefined) return `n${this.index}: no status yet (exit ${this.exited}) ${tail.join(' ')}`;
    const states = s.members
      .filter((m) => m.id !== s.id)
      .map((m) => `${m.id.slice(0, 6)}=${m.state}`)
      .join(',');
    const dropped = Object.entries(s.dropped)
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `${r}:${n}`)
      .join(',');
    return `n${this.index} ${s.id.slice(0, 6)} digest=${s.digest} keys=${s.keyCount} stream=${s.streamLength} members[${states}] dropped[${dropped}] errors=${JSON.stringify(s.errors)} age=${Date.now() - this.latestAt}ms exit=${this.exited}`;
  }

  async stop(): Promise<void> {
    if (this.exited === undefined) {
      const exited = new Promise<void>((done) => this.#child.once('exit', () => done()));
      this.#child.stdin.end();
      const timeout = new Promise<void>((done) => setTimeout(done, 3000).unref());
      await Promise.race([exited, timeout]);
      if (this.exited === undefined) this.#child.kill('SIGKILL');
    }
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

/** Polls `predicate` every 100 ms until it holds; throws with `explain()` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  predicate: () => boolean,
  explain: () => string,
  timeoutMs = 30_000,
): Promise<number> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  for (;;) {
    if (predicate()) return Date.now() - start;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${explain()}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** The nodes' latest statuses, all fresh since `since`, or undefined if one is missing or stale. */
export function freshStatuses(nodes: readonly LabNode[], since: number): Status[] | undefined {
  const statuses = nodes.map((node) => node.freshSince(since));
  return statuses.every((s) => s !== undefined) ? (statuses as Status[]) : undefined;
}

/** Every node sees every other node in `nodes` as alive. */
export function allAlive(nodes: readonly LabNode[], since = 0): boolean {
  const statuses = freshStatuses(nodes, since);
  if (statuses === undefined) return false;
  return statuses.every((s) => statuses.every((other) => other.id === s.id || s.alive.includes(other.id)));
}

/** Every node holds the same digest, with exactly the expected keys and stream length. */
export function converged(
  nodes: readonly LabNode[],
  expected: { keys: number; stream: number },
  since = 0,
): boolean {
  const statuses = freshStatuses(nodes, since);
  if (statuses === undefined) return false;
  return statuses.every(
    (s) =>
      s.digest === statuses[0]!.digest && s.keyCount === expected.keys && s.streamLength === expected.stream,
  );
}

export function explainAll(nodes: readonly LabNode[]): () => string {
  return () => nodes.map((node) => node.describe()).join('\n');
}
