import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@shoal/core';
import { ChaosRelay, type RelayStats } from './chaos-relay.js';
import type { ChildMessage } from './ipc-messages.js';
import { type Crash, type ManagedNode, NodeSupervisor } from './node-supervisor.js';
import { testNetwork } from './test-network.js';
import { waitFor } from './wait-for.js';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Node processes. Default 10. */
  readonly nodes?: number;
  /** How long the nemesis runs, in ms. Default 2 minutes. */
  readonly durationMs?: number;
  /** Replays the same schedule of faults. Default: from the clock. */
  readonly seed?: number;
  /** Mean time between faults, in ms. Default 3000. */
  readonly faultEveryMs?: number;
  /**
   * Give each node its own small filesystem (a tmpfs) and let the nemesis fill it. Default: when
   * running as root (mounting needs it); otherwise the fault is left out, as the summary says.
   */
  readonly fillDisks?: boolean;
  /** Progress lines (one per fault); default silent. */
  readonly log?: (line: string) => void;
}

/** What a soak did and found (a Jepsen-style summary). */
export interface SoakSummary {
  readonly seed: number;
  readonly nodes: number;
  readonly durationMs: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
  /** What the relay between the nodes did: forwarded, dropped, duplicated, replayed datagrams. */
  readonly traffic: Readonly<RelayStats>;
  /** Writes acknowledged (durable on their writer) during the run. */
  readonly acknowledged: number;
  /** Writes the store refused (the nemesis had filled its disk): not acknowledged. */
  readonly refused: number;
  /** Whether the nemesis could fill disks (each node on its own tmpfs). */
  readonly diskFaults: boolean;
  /** Acknowledged writes missing from some live replica at the end: must be 0. */
  readonly lost: number;
  /** True when every replica held exactly the same keys and stream entries at the end. */
  readonly identical: boolean;
  /** Milliseconds from the end of the faults until every replica held the same state. */
  readonly convergedAfterMs: number;
  readonly crashes: readonly Crash[];
  /** The largest resident set a node reported, in MiB (memory stays bounded). */
  readonly maxRssMiB: number;
  /** Per node: what each replica lacks of the acknowledged writes, and its drops and errors. */
  readonly diagnosis: Readonly<
    Record<string, { missing: readonly string[]; dropped: object; errors: object; sync: object }>
  >;
}

/** The nemesis's faults. */
export type FaultKind =
  | 'kill'
  | 'pause'
  | 'partition'
  | 'loss'
  | 'duplication'
  | 'skew'
  | 'replay'
  | 'disk-full';

const FAULTS: readonly FaultKind[] = [
  'kill',
  'pause',
  'partition',
  'loss',
  'duplication',
  'skew',
  'replay',
  'disk-full',
];

/**
 * The chaos soak (issue 14): `nodes` processes on loopback (UDP through a {@link ChaosRelay},
 * LMDB, sealed) write unique keys and stream entries every 200 ms while a nemesis, from a seeded
 * schedule, does one of: SIGKILL a node and restart it on its data 1-5 s later; SIGSTOP one for
 * 1-5 s (never more than a third of the nodes down at once); partition the nodes in two; lose
 * 20-40 % of datagrams; duplicate 20-40 % of them (with delay, so they also reorder); skew one
 * node's clock by up to ±30 s (within the drift peers accept); replay 200 captured datagrams
 * (to nodes that may have restarted since); fill one node's disk (each node has its own tmpfs,
 * when running as root) so its writes are refused, then free it. Network faults last 2-6 s.
 * Then the faults stop, writes stop, and every acknowledged write must be on every replica, and
 * the replicas identical.
 *
 * Not here: a hostile keyed peer forging messages (core's hostile-peer tests): it needs a node
 * built to misbehave.
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakSummary> {
  const count = options.nodes ?? 10;
  const durationMs = options.durationMs ?? 120_000;
  const seed = options.seed ?? Date.now() % 1_000_000;
  const faultEveryMs = options.faultEveryMs ?? 3000;
  const log = options.log ?? (() => {});
  const random = new SeededRandom(seed);
  const { invite, multicastPort, runId } = testNetwork();
  const relay = await ChaosRelay.open(count, random.fork('relay'));
  const dataRoot = mkdtempSync(join(tmpdir(), 'shoal-soak-'));
  const disks = (options.fillDisks ?? process.getuid?.() === 0) ? mountDisks(dataRoot, count, log) : [];
  const crashes: Crash[] = [];
  const acknowledged = new Set<string>();
  let refused = 0;
  const dumps = new Map<
    ManagedNode,
    {
      keys: readonly string[];
      entries: readonly string[];
      diagnosis: { dropped: object; errors: object; sync: object };
    }
  >();
  let maxRss = 0;
  const supervisor = new NodeSupervisor(
    (crash) => crashes.push(crash),
    (managed, message: ChildMessage) => {
      if (message.type === 'ack') acknowledged.add(message.key);
      else if (message.type === 'refused') refused++;
      else if (message.type === 'state') dumps.set(managed, message);
    },
  );
  const faults = Object.fromEntries(FAULTS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  const down = new Set<ManagedNode>();
  try {
    const nodes = Array.from({ length: count }, (_, i) =>
      supervisor.start({
        name: `n${i}`,
        id: `soak-${i}-${runId}`,
        secret: invite,
        multicastPort,
        dataDir: join(dataRoot, `n${i}`),
        writeMs: 200,
        soak: true,
        relay: {
          port: relay.port(i),
          advertise: relay.face(i),
          bootstrap: Array.from({ length: count }, (_, j) => j)
            .filter((j) => j !== i)
            .map((j) => relay.face(j)),
        },
      }),
    );
    const running = () => nodes.filter((managed) => managed.phase === 'running' && !down.has(managed));
    await waitFor(() => running().length === count, { timeoutMs: 60_000, what: 'every node to start' });
    const start = Date.now();
    const at = () => seconds(Date.now() - start);
    while (Date.now() - start < durationMs) {
      await sleep(faultEveryMs * (0.5 + random.next()));
      const kinds = disks.length > 0 ? FAULTS : FAULTS.filter((fault) => fault !== 'disk-full');
      const kind = kinds[Math.floor(random.next() * kinds.length)] as FaultKind;
      const forMs = 1000 + random.next() * 4000;
      const candidates = running();
      const pick = () => candidates[Math.floor(random.next() * candidates.length)] as ManagedNode;
      if (kind === 'kill' || kind === 'pause' || kind === 'skew' || kind === 'disk-full') {
        if (down.size >= Math.floor(count / 3) || candidates.length === 0) continue;
        const victim = pick();
        if (kind === 'disk-full') {
          // Out of the other faults' reach while full: a restart on a full disk is refused.
          const disk = disks[nodes.indexOf(victim)] as string;
          log(`${at()} fill ${victim.spec.name}'s disk for ${seconds(forMs)}`);
          down.add(victim);
          const fillers = fillDisk(disk);
          setTimeout(() => {
            for (const filler of fillers) rmSync(filler, { force: true });
            down.delete(victim);
          }, forMs);
        } else if (kind === 'skew') {
          const ms = Math.round((random.next() * 2 - 1) * 30_000);
          log(`${at()} skew ${victim.spec.name}'s clock by ${seconds(ms)} for ${seconds(forMs)}`);
          supervisor.tell(victim, { type: 'skew', ms });
          setTimeout(() => supervisor.tell(victim, { type: 'skew', ms: 0 }), forMs);
        } else {
          down.add(victim);
          if (kind === 'kill') {
            log(`${at()} kill -9 ${victim.spec.name}; restart in ${seconds(forMs)}`);
            supervisor.kill(victim);
          } else {
            log(`${at()} SIGSTOP ${victim.spec.name} for ${seconds(forMs)}`);
            victim.child?.kill('SIGSTOP');
          }
          setTimeout(() => {
            if (kind === 'kill') supervisor.restart(victim);
            else victim.child?.kill('SIGCONT');
            down.delete(victim);
          }, forMs);
        }
      } else if (kind === 'replay') {
        log(`${at()} replay ${relay.replay(200)} captured datagrams`);
      } else {
        const severity = 0.2 + random.next() * 0.2;
        if (kind === 'partition') {
          const side = Array.from({ length: count }, (_, i) => i).filter(() => random.next() < 0.5);
          log(
            `${at()} partition {${side.map((i) => `n${i}`).join(',')}} from the rest for ${seconds(forMs)}`,
          );
          relay.partition(side);
        } else if (kind === 'loss') {
          log(`${at()} lose ${Math.round(severity * 100)} % of datagrams for ${seconds(forMs)}`);
          relay.degrade({ loss: severity });
        } else {
          log(
            `${at()} duplicate ${Math.round(severity * 100)} % of datagrams (delayed ≤ 60 ms) for ${seconds(forMs)}`,
          );
          relay.degrade({ duplication: severity, delayMs: 40 });
        }
        await sleep(forMs);
        relay.heal();
        relay.degrade({});
      }
      faults[kind]++;
    }
    await waitFor(() => down.size === 0 && running().length === count, {
      timeoutMs: 60_000,
      what: 'every node back after the faults',
    }).catch((error: Error) => {
      const stuck = nodes
        .filter((managed) => managed.phase !== 'running')
        .map((m) => `${m.spec.name} ${m.phase}`);
      throw new Error(
        `${error.message} (not running: ${stuck.join(', ')}; crashes: ${JSON.stringify(crashes)})`,
      );
    });
    supervisor.setWrites(false);
    const quiet = Date.now();
    // Acknowledgements of the last writes may still be on their way to us: settle first.
    await sleep(1000);
    const digests = () => new Set(nodes.map((managed) => managed.status?.digest));
    await waitFor(() => digests().size === 1 && nodes.every((managed) => managed.status !== undefined), {
      timeoutMs: 120_000,
      what: 'every replica to hold the same state',
    }).catch(() => undefined);
    const convergedAfterMs = Date.now() - quiet;
    for (const managed of nodes) supervisor.tell(managed, { type: 'dump' });
    await waitFor(() => dumps.size === count, { timeoutMs: 30_000, what: 'every node to report its state' });
    let lost = 0;
    const reference = dumps.get(nodes[0] as ManagedNode);
    let identical = true;
    const diagnosis: Record<string, { missing: string[]; dropped: object; errors: object; sync: object }> =
      {};
    for (const managed of nodes) {
      const state = dumps.get(managed) as {
        keys: readonly string[];
        entries: readonly string[];
        diagnosis: { dropped: object; errors: object; sync: object };
      };
      const held = new Set([...state.keys, ...state.entries.map((entry) => `stream:${entry}`)]);
      const missing = [...acknowledged].filter((key) => !held.has(key));
      lost += missing.length;
      diagnosis[managed.spec.name] = { missing: missing.slice(0, 20), ...state.diagnosis };
      identical &&=
        reference !== undefined &&
        sameSet(state.keys, reference.keys) &&
        sameSet(state.entries, reference.entries);
      maxRss = Math.max(maxRss, managed.status?.rssMiB ?? 0);
    }
    return {
      seed,
      nodes: count,
      durationMs,
      faults,
      traffic: { ...relay.stats },
      acknowledged: acknowledged.size,
      refused,
      diskFaults: disks.length > 0,
      lost,
      identical,
      convergedAfterMs,
      crashes,
      maxRssMiB: maxRss,
      diagnosis,
    };
  } finally {
    for (const managed of supervisor.nodes) managed.child?.kill('SIGCONT');
    await supervisor.stopAll();
    await relay.close();
    // Lazy: a node the supervisor could not stop must not keep a mount behind.
    for (const disk of disks) execFileSync('umount', ['--lazy', disk]);
    rmSync(dataRoot, { recursive: true, force: true });
  }
}

/**
 * One 512 MiB tmpfs per node data directory, so the nemesis can fill one node's disk and no
 * other; none (saying why) where mounting fails.
 */
function mountDisks(root: string, count: number, log: (line: string) => void): string[] {
  const disks: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const path = join(root, `n${i}`);
      mkdirSync(path);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512m', 'tmpfs', path], { stdio: 'pipe' });
      disks.push(path);
    }
    return disks;
  } catch (error) {
    for (const disk of disks) execFileSync('umount', ['--lazy', disk]);
    log(`no disk-full faults: cannot mount a tmpfs per node (${String(error).split('\n')[0]})`);
    return [];
  }
}

/**
 * Takes every free byte of the file system at `disk`; returns the files to delete to free it.
 * The node keeps writing meanwhile, so a reservation of what was free a moment ago may fail:
 * measure again and take what is left, a few times.
 */
function fillDisk(disk: string): string[] {
  const fillers: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const { bavail, bsize } = statfsSync(disk);
    if (bavail === 0) break;
    const filler = join(disk, `filler-${attempt}`);
    try {
      execFileSync('fallocate', ['-l', String(bavail * bsize), filler], { stdio: 'pipe' });
      fillers.push(filler);
    } catch {
      rmSync(filler, { force: true });
    }
  }
  return fillers;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((item) => set.has(item));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
