import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './ipc-messages.js';
import type { NodeStatus } from './node-status.js';

const NODE_PROCESS = fileURLToPath(new URL('./node-process.ts', import.meta.url));

/** How to start one node process; restarting it reuses the same options (same id, same data). */
export interface NodeSpec {
  readonly name: string;
  readonly id: string;
  readonly secret: string;
  readonly multicastPort: number;
  readonly dataDir: string;
  readonly writeMs?: number;
  /** Soak mode: unique writes, each acknowledged (`ack` messages), and `dump` answered. */
  readonly soak?: boolean;
  /** Serve the dashboard and metrics of this node on 127.0.0.1 at this port. */
  readonly httpPort?: number;
  /** Run on this host instead of this machine's loopback (the soak's namespace hosts). */
  readonly host?: {
    /** The address the node binds. */
    readonly address: string;
    /** Wraps the node's command line so it runs on that host. */
    readonly command: (command: readonly string[]) => string[];
  };
  /** Reach the other nodes through the soak's relay (see `UdpNodeOptions.relay`). */
  readonly relay?: {
    readonly port: number;
    readonly advertise: string;
    readonly bootstrap: readonly string[];
  };
}

/** A supervised node process and what the parent knows of it. */
export interface ManagedNode {
  readonly spec: NodeSpec;
  phase: 'starting' | 'running' | 'killed' | 'restarting' | 'stopped';
  status: NodeStatus | undefined;
  /** Set while the process runs. */
  child: ChildProcess | undefined;
}

/** Why a node process ended when nobody asked it to. */
export interface Crash {
  readonly name: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly message: string;
}

/**
 * Starts node processes (`node-process.ts` under tsx, with an IPC channel), tracks their last
 * status, kills and restarts them on demand, and makes sure none outlives the parent: every
 * child is SIGKILLed when the parent exits, even on an uncaught error. An exit nobody asked
 * for is a {@link Crash}, passed to `onCrash`.
 */
export class NodeSupervisor {
  readonly nodes: ManagedNode[] = [];
  readonly #onCrash: (crash: Crash) => void;
  readonly #killAll = () => this.killAll();
  /** Children this supervisor killed or asked to stop: their exits are not crashes. */
  readonly #expected = new WeakSet<ChildProcess>();

  readonly #onMessage: (managed: ManagedNode, message: ChildMessage) => void;

  /** @param onMessage sees every message but statuses (soak acknowledgements and dumps). */
  constructor(
    onCrash: (crash: Crash) => void,
    onMessage: (managed: ManagedNode, message: ChildMessage) => void = () => {},
  ) {
    this.#onCrash = onCrash;
    this.#onMessage = onMessage;
    process.on('exit', this.#killAll);
  }

  /** Spawns a node process for `spec`. */
  start(spec: NodeSpec): ManagedNode {
    const managed: ManagedNode = { spec, phase: 'starting', status: undefined, child: undefined };
    this.nodes.push(managed);
    this.#spawn(managed);
    return managed;
  }

  /** SIGKILLs a node: no graceful leave, the others must detect the failure. */
  kill(managed: ManagedNode): void {
    managed.phase = 'killed';
    if (managed.child === undefined) return;
    this.#expected.add(managed.child);
    managed.child.kill('SIGKILL');
  }

  /** Starts a killed node again on the same id and data directory. */
  restart(managed: ManagedNode): void {
    managed.phase = 'restarting';
    // Forget the old process's last report: the row shows the new process's own state once it reports.
    managed.status = undefined;
    this.#spawn(managed);
  }

  /** Sends `message` to one node, if it runs. */
  tell(managed: ManagedNode, message: ParentMessage): void {
    if (managed.child?.connected) managed.child.send(message);
  }

  /** Tells every running node to pause or resume its writes. */
  setWrites(enabled: boolean): void {
    this.#broadcast({ type: 'writes', enabled });
  }

  /** Asks every node to leave gracefully and resolves when all have exited (SIGKILL after `timeoutMs`). */
  async stopAll(timeoutMs = 10_000): Promise<void> {
    const exits = this.nodes.flatMap((managed) => {
      const child = managed.child;
      if (child === undefined) return [];
      managed.phase = 'stopped';
      this.#expected.add(child);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
      else child.kill('SIGKILL');
      return [exited];
    });
    const timer = setTimeout(() => this.killAll(), timeoutMs);
    await Promise.all(exits);
    clearTimeout(timer);
    process.off('exit', this.#killAll);
  }

  /** SIGKILLs every live child at once. Synchronous, so it is safe in an `exit` handler. */
  killAll(): void {
    for (const managed of this.nodes) {
      if (
        managed.child !== undefined &&
        managed.child.exitCode === null &&
        managed.child.signalCode === null
      ) {
        if (managed.phase !== 'killed') managed.phase = 'stopped';
        this.#expected.add(managed.child);
        managed.child.kill('SIGKILL');
      }
    }
  }

  #broadcast(message: ParentMessage): void {
    for (const managed of this.nodes) {
      if (managed.child?.connected) managed.child.send(message);
    }
  }

  #spawn(managed: ManagedNode): void {
    const { spec } = managed;
    const args = [
      '--conditions=@shoal/source',
      '--import',
      'tsx',
      NODE_PROCESS,
      `--name=${spec.name}`,
      `--id=${spec.id}`,
      `--secret=${spec.secret}`,
      `--multicast-port=${spec.multicastPort}`,
      `--data-dir=${spec.dataDir}`,
      ...(spec.writeMs === undefined ? [] : [`--write-ms=${spec.writeMs}`]),
      ...(spec.soak === true ? ['--soak'] : []),
      ...(spec.httpPort === undefined ? [] : [`--http-port=${spec.httpPort}`]),
      ...(spec.relay === undefined
        ? []
        : [
            `--port=${spec.relay.port}`,
            `--advertise=${spec.relay.advertise}`,
            ...spec.relay.bootstrap.map((face) => `--bootstrap=${face}`),
          ]),
    ];
    const [file, ...rest] = spec.host?.command([
      process.execPath,
      ...args,
      `--host=${spec.host.address}`,
    ]) ?? [process.execPath, ...args];
    const child = spawn(file as string, rest, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    managed.child = child;
    let stderr = '';
    let fatal = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'status') {
        managed.status = message.status;
        if (managed.phase === 'starting' || managed.phase === 'restarting') managed.phase = 'running';
      } else if (message.type === 'fatal') {
        fatal = message.message;
      } else this.#onMessage(managed, message);
    });
    child.on('exit', (code, signal) => {
      if (managed.child === child) managed.child = undefined;
      // A child we stopped may still fail its graceful shutdown: that exits non-zero, not by signal.
      const expected = this.#expected.has(child) && (code === 0 || signal !== null);
      if (!expected) {
        this.#onCrash({ name: spec.name, code, signal, message: fatal || stderr.trim() || 'no output' });
      }
    });
  }
}
