/**
 * `pnpm demo`: several Shoal nodes as separate processes on this machine, in a live terminal
 * view, through a scripted scenario (discovery, convergence, a SIGKILL, a restart). Exits 0 with
 * a one-line summary, or non-zero when a node crashes or a step times out.
 *
 * Flags: `--nodes <n>` (default 4), `--duration <s>` (about how long the run takes, default 35).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInvite, generateSecret } from '@shoal/core';
import { LiveView } from './live-view.js';
import { NodeSupervisor } from './node-supervisor.js';
import { runProcessScenario, summarize } from './process-scenario.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '4' },
    duration: { type: 'string', default: '35' },
  },
});
const count = Number(values.nodes);
const durationMs = Number(values.duration) * 1000;
if (!Number.isInteger(count) || count < 2 || count > 26 || !(durationMs > 0)) {
  console.error('usage: pnpm demo [--nodes 2..26] [--duration seconds]');
  process.exit(2);
}

const dataRoot = mkdtempSync(join(tmpdir(), 'shoal-demo-'));
// A fresh network and group port per run, so two demos on one machine never mix.
const invite = createInvite({ networkId: 'shoal-demo', secret: generateSecret() });
const multicastPort = 40_000 + Math.floor(Math.random() * 20_000);
const runId = Math.random().toString(16).slice(2, 6);
// Node A serves the dashboard (the scenario kills the last node, never A).
const dashboardPort = 20_000 + Math.floor(Math.random() * 20_000);

let view: LiveView | undefined;
const supervisor = new NodeSupervisor((crash) => {
  view?.stop();
  console.error(`\n✗ node ${crash.name} crashed (exit ${crash.code ?? crash.signal}):\n${crash.message}`);
  finish(1);
});

function finish(code: number): never {
  supervisor.killAll();
  rmSync(dataRoot, { recursive: true, force: true });
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    view?.stop();
    console.error(`\ninterrupted (${signal}); stopped every node`);
    finish(130);
  });
}

for (let i = 0; i < count; i++) {
  const name = String.fromCharCode(65 + i);
  supervisor.start({
    name,
    id: `node-${name.toLowerCase()}-${runId}`,
    secret: invite,
    multicastPort,
    dataDir: join(dataRoot, name),
    ...(i === 0 ? { httpPort: dashboardPort } : {}),
  });
}
view = new LiveView(
  `Shoal live demo — ${count} node processes, sealed UDP on 127.0.0.1, multicast group port ${multicastPort}\n` +
    `Dashboard of node A: http://127.0.0.1:${dashboardPort}/  (metrics: /metrics)`,
  () =>
    supervisor.nodes.map((managed) => ({
      name: managed.spec.name,
      phase: managed.phase,
      status: managed.status,
    })),
);
view.start();

try {
  const result = await runProcessScenario(supervisor, view, durationMs);
  view.caption('Every node leaves gracefully and closes its store');
  // The last frame keeps the converged table on screen while the processes wind down.
  view.stop();
  await supervisor.stopAll();
  console.log(summarize(result, count, supervisor.nodes.at(-1)?.spec.name ?? '?'));
  finish(0);
} catch (error) {
  view.stop();
  console.error(`\n✗ ${error instanceof Error ? error.message : String(error)}`);
  finish(1);
}
