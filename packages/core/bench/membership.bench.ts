/**
 * SWIM + Lifeguard membership benchmark on virtual time (no wall-clock assertions).
 * Run from the repository root: `pnpm exec tsx packages/core/bench/membership.bench.ts
 * [--lan-seeds 3]` (seeds of the 30-minute false-verdict run with `lanConfig()`; 3 for the others).
 * Every scenario is a pure function of its seed; results go to stdout as Markdown.
 */
import type { NodeId } from '../src/ids/node-id.js';
import { lanConfig, type MembershipConfig } from '../src/membership/config.js';
import { encodePiggyback, encodeUpdate } from '../src/membership/updates.js';
import { MembershipSim } from '../src/test-support/membership-sim.js';

const fast = lanConfig({ probeInterval: 200 });
const lanSeedsAt = process.argv.indexOf('--lan-seeds');
const LAN_SEEDS = lanSeedsAt >= 0 ? Number(process.argv[lanSeedsAt + 1]) : 3;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function converged(size: number, seed: number, config: MembershipConfig, loss = 0): MembershipSim {
  const sim = new MembershipSim({ seed, size, config, loss });
  sim.startAll();
  if (!sim.runUntil(() => sim.allSee(sim.ids, sim.ids, 'alive'), 120_000, 200)) {
    throw new Error(`no convergence: ${sim.describe()}`);
  }
  sim.runFor(2000);
  return sim;
}

function detection(size: number, seeds: number): string {
  const first: number[] = [];
  const all: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const sim = converged(size, seed, fast);
    const victim = sim.ids[seed % size] as NodeId;
    const others = sim.ids.filter((id) => id !== victim);
    const crashedAt = sim.now;
    sim.crash(victim);
    const done = sim.runUntil(() => sim.allSee(others, [victim], 'dead'), 60_000, 10);
    if (!done) throw new Error(`victim never buried: ${sim.describe()}`);
    const deaths = sim.eventsOf('dead', victim).map((e) => e.at - crashedAt);
    first.push(Math.min(...deaths));
    all.push(sim.now - crashedAt);
  }
  const s = (v: number) => `${(v / 1000).toFixed(2)} s`;
  return `| ${size} | ${seeds} | ${s(percentile(first, 50))} | ${s(percentile(first, 99))} | ${s(percentile(all, 50))} | ${s(percentile(all, 99))} |`;
}

function falseDeaths(config: MembershipConfig, label: string, seeds: number): string {
  let verdicts = 0;
  let aboutStaller = 0;
  let suspicions = 0;
  let refutations = 0;
  const minutes = 30;
  for (let seed = 1; seed <= seeds; seed++) {
    const sim = converged(10, seed, config);
    sim.loss = 0.3;
    const staller = sim.ids[3] as NodeId;
    const start = sim.now;
    // One node stalls for 1 s every 10 s (GC pause, swapped-out process) for 30 minutes.
    for (let t = 0; t < minutes * 60_000; t += 10_000) {
      sim.pause(staller);
      sim.runFor(1000);
      sim.resume(staller);
      sim.runFor(9000);
    }
    const dead = sim.events.filter((e) => e.at >= start && e.event.type === 'dead');
    verdicts += dead.length;
    aboutStaller += dead.filter((e) => e.event.peer === staller).length;
    suspicions += sim.events.filter((e) => e.at >= start && e.event.type === 'suspect').length;
    refutations += sim.ids.reduce((sum, id) => sum + sim.membership(id).stats().refutations, 0);
  }
  return `| ${label} | ${seeds} × ${minutes} min | ${verdicts} | ${aboutStaller} | ${suspicions} | ${refutations} |`;
}

function messagesPerPeriod(size: number): string {
  const sim = converged(size, 11, fast);
  const periods = 100;
  const before = { ...sim.messages };
  sim.runFor(periods * fast.probeInterval);
  const messages = sim.messages.sent - before.sent;
  const bytes = sim.messages.bytes - before.bytes;
  const per = messages / (size * periods);
  return `| ${size} | ${per.toFixed(2)} | ${(bytes / (size * periods)).toFixed(0)} |`;
}

function dissemination(size: number, seeds: number): string {
  const rounds: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const sim = converged(size, seed, fast);
    const subject = sim.ids[seed % size] as NodeId;
    const accuser = sim.ids[(seed + 1) % size] as NodeId;
    const membership = sim.membership(subject);
    const before = membership.incarnation;
    // Tell only the subject that it is suspected: it refutes, and its new incarnation spreads.
    membership.handlePiggyback(
      accuser,
      encodePiggyback([encodeUpdate({ kind: 'suspect', node: subject, incarnation: before, from: accuser })]),
    );
    const start = sim.now;
    const learnt = () =>
      sim.ids.every(
        (id) =>
          id === subject ||
          sim
            .membership(id)
            .members()
            .find((m) => m.id === subject)?.incarnation ===
            before + 1,
      );
    if (!sim.runUntil(learnt, 60_000, 10)) throw new Error(`update never spread: ${sim.describe()}`);
    rounds.push((sim.now - start) / fast.probeInterval);
  }
  const log = Math.log2(size);
  return `| ${size} | ${log.toFixed(1)} | ${percentile(rounds, 50).toFixed(1)} | ${percentile(rounds, 99).toFixed(1)} | ${(percentile(rounds, 50) / log).toFixed(2)} |`;
}

const lines: string[] = [];
const print = (line: string) => {
  lines.push(line);
  console.log(line);
};
print('### Detection time of a crashed node (lanConfig, probeInterval 200 ms, no loss, 1-5 ms latency)');
print('| N | runs | first verdict p50 | p99 | all members p50 | p99 |');
print('|---|---|---|---|---|---|');
print(detection(10, 100));
print(detection(100, 20));
print('');
print('### False "dead" verdicts, N=10, 30% loss, one node stalled 1 s every 10 s');
print(
  '| config | simulated | dead verdicts (events, all observers) | of which about the stalled node | suspicions | refutations |',
);
print('|---|---|---|---|---|---|');
print(falseDeaths(fast, 'lanConfig({ probeInterval: 200 })', 3));
print(
  falseDeaths(
    lanConfig({ probeInterval: 200, suspicionMult: 6 }),
    'lanConfig({ probeInterval: 200, suspicionMult: 6 })',
    3,
  ),
);
print(falseDeaths(lanConfig(), 'lanConfig() (1 s probes)', LAN_SEEDS));
print('');
print('### Messages per member per probe period (steady state, no loss, 200 ms)');
print('| N | messages | bytes per member per period (framed body + piggyback) |');
print('|---|---|---|');
print(messagesPerPeriod(10));
print(messagesPerPeriod(100));
print('');
print('### Dissemination: probe periods until every member learns a refutation');
print('| N | log2 N | periods p50 | p99 | p50 / log2 N |');
print('|---|---|---|---|---|');
for (const size of [10, 30, 100]) print(dissemination(size, 10));
