import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NodeId, SeededRandom } from '@shoal/core';
import { ChaosRelay, type RelayStats } from './chaos-relay.js';
import { HostileNemesis, type HostileVictim } from './hostile-nemesis.js';
import { HostilePeer, type HostileStats } from './hostile-peer.js';
import type { ChildMessage } from './ipc-messages.js';
import { type Crash, type ManagedNode, NodeSupervisor } from './node-supervisor.js';
import { loopbackHosts, namespaceHosts } from './soak-hosts.js';
import { type Divergence, judge, type ReplicaState } from './soak-verdict.js';
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
  /**
   * Run each node on a host of its own (a network namespace joined by a veth pair) instead of
   * this machine's loopback. Needs root and iproute2 ({@link canMakeNamespaces}). Default false.
   */
  readonly namespaces?: boolean;
  /** Progress lines (one per fault); default silent. */
  readonly log?: (line: string) => void;
}

/** What a soak did and found (a Jepsen-style summary). */
export interface SoakSummary {
  readonly seed: number;
  readonly nodes: number;
  /** Where the nodes ran: this machine's loopback, or a network namespace each. */
  readonly hosts: 'loopback' | 'namespaces';
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
  /** What the hostile keyed peer sent, over all its `hostile` faults. */
  readonly hostile: Readonly<HostileStats>;
  /**
   * What the nodes refused, summed over the replicas at the end (counters restart with a
   * node): datagrams dropped by the sealing layer, by reason, and errors reported, by code.
   */
  readonly refusals: { readonly dropped: Record<string, number>; readonly errors: Record<string, number> };
  /** Acknowledged writes missing from some live replica at the end: must be 0. */
  readonly lost: number;
  /**
   * Acknowledged stream entries present on a replica only as a forgery holding their author and
   * seq (see `Verdict.conflictsLost`): not lost, but the forgery won there.
   */
  readonly conflictsLost: number;
  /** True when every replica held exactly the same keys and stream entries (payloads too) at the end. */
  readonly identical: boolean;
  /** How the replicas differ when they are not identical. */
  readonly divergence: Divergence;
  /**
   * Milliseconds from the end of the faults until every replica held the same state; when they
   * never do, until sync had settled (nothing to exchange, no write waiting for a disk, no
   * replica changing for 5 s).
   */
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
  | 'disk-full'
  | 'hostile';

const FAULTS: readonly FaultKind[] = [
  'kill',
  'pause',
  'partition',
  'loss',
  'duplication',
  'skew',
  'replay',
  'disk-full',
  'hostile',
];

/**
 * The chaos soak (issue 14): `nodes` processes on loopback (UDP through a {@link ChaosRelay},
 * LMDB, sealed) write unique keys and stream entries every 200 ms while a nemesis, from a seeded
 * schedule, does one of: SIGKILL a node and restart it on its data 1-5 s later; SIGSTOP one for
 * 1-5 s (never more than a third of the nodes down at once); partition the nodes in two; lose
 * 20-40 % of datagrams; duplicate 20-40 % of them (with delay, so they also reorder); skew one
 * node's clock by up to ±30 s (within the drift peers accept); replay 200 captured datagrams
 * (to nodes that may have restarted since); fill one node's disk (each node has its own tmpfs,
 * when running as root) so its writes are refused, then free it; or let a peer holding the
 * network secret attack (see {@link HostileNemesis}). Network faults last 2-6 s. The kinds are
 * dealt from a shuffled deck, so even a short soak has every kind. Then the faults stop, every
 * node the hostile peer sent an incarnation bomb is restarted (it must come back), writes stop,
 * and every acknowledged write must be on every replica, and the replicas identical.
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakSummary> {
  const count = options.nodes ?? 10;
  const durationMs = options.durationMs ?? 120_000;
  const seed = options.seed ?? Date.now() % 1_000_000;
  const faultEveryMs = options.faultEveryMs ?? 3000;
  const log = options.log ?? (() => {});
  const random = new SeededRandom(seed);
  const { invite, multicastPort, runId } = testNetwork();
  const hosts = (options.namespaces ?? false) ? namespaceHosts(count, runId) : loopbackHosts();
  const relay = await ChaosRelay.open(count, random.fork('relay'), hosts).catch((error: unknown) => {
    hosts.close();
    throw error;
  });
  const dataRoot = mkdtempSync(join(tmpdir(), 'shoal-soak-'));
  const disks = (options.fillDisks ?? process.getuid?.() === 0) ? mountDisks(dataRoot, count, log) : [];
  const peer = await HostilePeer.open(invite, runId, random.fork('hostile'), hosts.relayHost);
  const hostile = new HostileNemesis(peer, relay, random.fork('hostile-nemesis'));
  const crashes: Crash[] = [];
  const acknowledged = { keys: new Set<string>(), entries: new Map<string, string>() };
  /** Each node's highest acknowledged seq of its own stream entries, by id. */
  const heads = new Map<string, number>();
  let refused = 0;
  const dumps = new Map<ManagedNode, Extract<ChildMessage, { type: 'state' }>>();
  let maxRss = 0;
  const supervisor = new NodeSupervisor(
    (crash) => crashes.push(crash),
    (managed, message: ChildMessage) => {
      if (message.type === 'ack') {
        if (message.seq === undefined) acknowledged.keys.add(message.key);
        else {
          const id = managed.spec.id;
          acknowledged.entries.set(`${id}#${message.seq}`, message.key.slice('stream:'.length));
          heads.set(id, Math.max(heads.get(id) ?? 0, message.seq));
        }
      } else if (message.type === 'refused') refused++;
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
        ...(hosts.kind === 'loopback'
          ? {}
          : { host: { address: hosts.nodeHost(i), command: (command) => hosts.command(i, command) } }),
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
    /** Kills `victim` (SIGKILL), letting the hostile nemesis keep what was sent to it first. */
    const kill = (victim: ManagedNode) => {
      hostile.killing(nodes.indexOf(victim), victim.spec.id as NodeId);
      supervisor.kill(victim);
    };
    const restart = (victim: ManagedNode) => {
      supervisor.restart(victim);
      hostile.restarted(victim.spec.id as NodeId);
    };
    await waitFor(() => running().length === count, { timeoutMs: 60_000, what: 'every node to start' });
    const start = Date.now();
    const at = () => seconds(Date.now() - start);
    const kinds = disks.length > 0 ? FAULTS : FAULTS.filter((fault) => fault !== 'disk-full');
    const deck: FaultKind[] = [];
    while (Date.now() - start < durationMs) {
      await sleep(faultEveryMs * (0.5 + random.next()));
      if (deck.length === 0) deck.push(...shuffle(kinds, random));
      const kind = deck.pop() as FaultKind;
      const forMs = 1000 + random.next() * 4000;
      const candidates = running();
      const pick = () => candidates[Math.floor(random.next() * candidates.length)] as ManagedNode;
      if (kind === 'hostile') {
        if (candidates.length < 2) continue;
        const victims: HostileVictim[] = candidates.map((managed) => ({
          name: managed.spec.name,
          index: nodes.indexOf(managed),
          target: {
            id: managed.spec.id as NodeId,
            host: managed.spec.host?.address ?? '127.0.0.1',
            port: managed.spec.relay?.port as number,
          },
          head: heads.get(managed.spec.id) ?? 0,
        }));
        const { victim, line } = hostile.attack(victims);
        log(`${at()} ${line}`);
        // The bomb must not brick it: kill it a little later and restart it, when a third of the
        // nodes are not down already (else it restarts after the faults).
        const bombed = nodes[victim.index] as ManagedNode;
        if (down.size < Math.floor(count / 3)) {
          down.add(bombed);
          setTimeout(() => {
            log(`${at()} kill -9 ${victim.name} after its incarnation bomb; restart in ${seconds(forMs)}`);
            kill(bombed);
            setTimeout(() => {
              restart(bombed);
              down.delete(bombed);
            }, forMs);
          }, 2000);
        }
      } else if (kind === 'kill' || kind === 'pause' || kind === 'skew' || kind === 'disk-full') {
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
            kill(victim);
          } else {
            log(`${at()} SIGSTOP ${victim.spec.name} for ${seconds(forMs)}`);
            victim.child?.kill('SIGSTOP');
          }
          setTimeout(() => {
            if (kind === 'kill') restart(victim);
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
    // Nodes bombed when too many were down restart now, a third at a time.
    const bombed = nodes.filter((managed) => hostile.bombed.has(managed.spec.id as NodeId));
    const batch = Math.max(1, Math.floor(count / 3));
    for (let i = 0; i < bombed.length; i += batch) {
      const victims = bombed.slice(i, i + batch);
      log(
        `${at()} kill -9 and restart ${victims.map((managed) => managed.spec.name).join(', ')} (incarnation bombs)`,
      );
      for (const victim of victims) kill(victim);
      await waitFor(() => victims.every((managed) => managed.child === undefined), {
        timeoutMs: 10_000,
        what: 'killed nodes to exit',
      });
      for (const victim of victims) restart(victim);
      await waitFor(() => running().length === count, {
        timeoutMs: 60_000,
        what: `${victims.map((managed) => managed.spec.name).join(', ')} to restart after an incarnation bomb`,
      });
    }
    supervisor.setWrites(false);
    const quiet = Date.now();
    // Acknowledgements of the last writes may still be on their way to us: settle first.
    await sleep(1000);
    const digests = () => nodes.map((managed) => managed.status?.digest).join();
    let last = { digests: digests(), at: Date.now() };
    let syncedSince: number | undefined;
    const settled = () => {
      const now = digests();
      if (now !== last.digests) last = { digests: now, at: Date.now() };
      if (nodes.some((managed) => managed.status === undefined)) return false;
      if (new Set(nodes.map((managed) => managed.status?.digest)).size === 1) return true;
      // Sync sees nothing left to exchange, no write waits for a disk, and nothing changed for
      // a while: waiting longer would not make the replicas identical.
      const synced = nodes.every((managed) => managed.status?.synced === true);
      syncedSince = synced ? (syncedSince ?? Date.now()) : undefined;
      return synced && Date.now() - last.at > UNCHANGED_MS;
    };
    await waitFor(settled, { timeoutMs: 120_000, what: 'the replicas to settle' }).catch(() => undefined);
    const convergedAfterMs = Date.now() - quiet;
    if (syncedSince !== undefined) {
      log(
        `${at()} replicas differ; last change ${seconds(last.at - quiet)} after the writes stopped, sync idle since ${seconds(syncedSince - quiet)}`,
      );
    }
    for (const managed of nodes) supervisor.tell(managed, { type: 'dump' });
    await waitFor(() => dumps.size === count, { timeoutMs: 30_000, what: 'every node to report its state' });
    const replicas = new Map<string, ReplicaState>(
      nodes.map((managed) => [managed.spec.name, dumps.get(managed) as ReplicaState]),
    );
    const verdict = judge(acknowledged, replicas);
    const diagnosis: Record<
      string,
      { missing: readonly string[]; dropped: object; errors: object; sync: object }
    > = {};
    const refusals = { dropped: {}, errors: {} };
    for (const managed of nodes) {
      const state = dumps.get(managed) as Extract<ChildMessage, { type: 'state' }>;
      diagnosis[managed.spec.name] = {
        missing: verdict.missing.get(managed.spec.name) ?? [],
        ...state.diagnosis,
      };
      addCounts(refusals.dropped, state.diagnosis.dropped);
      addCounts(refusals.errors, state.diagnosis.errors);
      maxRss = Math.max(maxRss, managed.status?.rssMiB ?? 0);
    }
    return {
      seed,
      nodes: count,
      durationMs,
      faults,
      traffic: { ...relay.stats },
      acknowledged: acknowledged.keys.size + acknowledged.entries.size,
      refused,
      hosts: hosts.kind,
      diskFaults: disks.length > 0,
      hostile: { ...peer.stats },
      refusals,
      lost: verdict.lost,
      conflictsLost: verdict.conflictsLost,
      identical: verdict.identical,
      divergence: verdict.divergence,
      convergedAfterMs,
      crashes,
      maxRssMiB: maxRss,
      diagnosis,
    };
  } finally {
    for (const managed of supervisor.nodes) managed.child?.kill('SIGCONT');
    await supervisor.stopAll();
    await relay.close();
    await peer.close();
    hosts.close();
    // Lazy: a node the supervisor could not stop must not keep a mount behind.
    for (const disk of disks) execFileSync('umount', ['--lazy', disk]);
    rmSync(dataRoot, { recursive: true, force: true });
  }
}

/** How long replicas that differ must stay unchanged, sync having nothing to exchange, to be settled apart. */
const UNCHANGED_MS = 5000;

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

/** Adds each count of `counts` into `into`, by name. */
function addCounts(into: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [name, n] of Object.entries(counts)) into[name] = (into[name] ?? 0) + n;
}

/** `items` in a random order (Fisher-Yates). */
function shuffle<T>(items: readonly T[], random: SeededRandom): T[] {
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T];
  }
  return shuffled;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
