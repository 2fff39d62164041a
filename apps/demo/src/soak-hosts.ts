import { execFileSync } from 'node:child_process';

/**
 * Where the soak's processes live: every node on the loopback interface of this machine, or each
 * node on a host of its own (a network namespace, reached through a veth pair).
 */
export interface SoakHosts {
  /** `loopback` or `namespaces`, for the summary. */
  readonly kind: 'loopback' | 'namespaces';
  /** The address the chaos relay binds its faces on: reachable from every node. */
  readonly relayHost: string;
  /** The address node `i` binds on. */
  nodeHost(i: number): string;
  /** The command that runs `command` on node `i`'s host. */
  command(i: number, command: readonly string[]): string[];
  /** Removes what was created (idempotent). */
  close(): void;
}

/** Every node on 127.0.0.1. */
export function loopbackHosts(): SoakHosts {
  return {
    kind: 'loopback',
    relayHost: '127.0.0.1',
    nodeHost: () => '127.0.0.1',
    command: (_, command) => [...command],
    close: () => {},
  };
}

/** Most namespace hosts: node i gets 10.78.i.0/30. */
const MAX_HOSTS = 250;

/**
 * One network namespace per node (`shoalsk<run>-n<i>`), each joined to this machine by a veth
 * pair: 10.78.i.1 on this side, 10.78.i.2 (the node) inside, default route back through it. The
 * relay binds 10.78.0.1, which every host reaches by its default route; no traffic touches any
 * other interface, and `close()` deletes the namespaces (and with them the veth pairs). Needs
 * root and iproute2.
 */
export function namespaceHosts(count: number, runId: string): SoakHosts {
  if (count > MAX_HOSTS) throw new RangeError(`at most ${MAX_HOSTS} namespace hosts`);
  const tag = runId.replace(/[^a-z0-9]/gi, '').slice(0, 4);
  const names = Array.from({ length: count }, (_, i) => `shoalsk${tag}-n${i}`);
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const close = () => {
    for (const name of names) {
      try {
        ip('netns', 'del', name);
      } catch {
        // Not created, or already gone.
      }
    }
  };
  try {
    names.forEach((name, i) => {
      const outside = `sk${tag}h${i}`;
      ip('netns', 'add', name);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
      ip('addr', 'add', `10.78.${i}.1/30`, 'dev', outside);
      ip('link', 'set', outside, 'up');
      ip('-n', name, 'addr', 'add', `10.78.${i}.2/30`, 'dev', 'eth0');
      ip('-n', name, 'link', 'set', 'eth0', 'up');
      ip('-n', name, 'link', 'set', 'lo', 'up');
      ip('-n', name, 'route', 'add', 'default', 'via', `10.78.${i}.1`);
    });
  } catch (error) {
    close();
    throw error;
  }
  return {
    kind: 'namespaces',
    relayHost: '10.78.0.1',
    nodeHost: (i) => `10.78.${i}.2`,
    command: (i, command) => ['ip', 'netns', 'exec', names[i] as string, ...command],
    close,
  };
}

/** True when namespace hosts can be made here (root, with iproute2). */
export function canMakeNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
